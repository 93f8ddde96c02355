"""The client's HTTP/1.1 connection, on the standard library.

A command of ``ledger`` sends a handful of requests to one node and exits, so what counts is how soon it
starts: ``http.client`` is already loaded with the interpreter, where ``httpx`` and its certificate
bundle cost a tenth of a second before the first byte is sent. One kept-alive connection, re-opened once
if the node closed it between requests; ``https`` with the system's trust store.
"""

from __future__ import annotations

import http.client
import json as jsonlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit


class Unreachable(Exception):
    """The node could not be reached, or the connection broke before an answer came."""


class Response:
    def __init__(self, status_code: int, headers: http.client.HTTPMessage, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers  # case-insensitive: ``headers.get("content-type")``
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


def _query(params: Mapping[str, Any]) -> str:
    """As httpx writes them: booleans as ``true``/``false``, ``None`` left out, sequences repeated."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v is not None:
                pairs.append((key, str(v).lower() if isinstance(v, bool) else str(v)))
    return urlencode(pairs)


class Http:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._secure = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._secure:
                import ssl

                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
    ) -> Response:
        url = self._prefix + path + (f"?{_query(params)}" if params else "")
        head = {"Accept": "application/json", "User-Agent": "civic-ledger-client"}
        body = content
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            head["Content-Type"] = "application/json"
        head.update(headers or {})
        while True:
            reused = self._conn is not None
            conn = self._connect()
            try:
                conn.request(method, url, body=body, headers=head)
                r = conn.getresponse()
                data = r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if reused:  # a kept-alive connection the node closed while idle: once more, on a new one
                    continue
                raise Unreachable(str(exc) or type(exc).__name__) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise Unreachable(str(exc) or type(exc).__name__) from None
            if r.will_close:
                self.close()
            return Response(r.status, r.headers, data)

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)
