"""The HTTP protocol the node's uvicorn runs: h11 with bounded request heads, answered in JSON.

uvicorn's default parser (httptools) takes request headers of any size: 4 × 64 MB of headers, sent
without signing in, grew a node from 151 to 400 MB. h11 buffers at most ``h11_max_incomplete_event_size``
bytes of an unfinished request head and then raises a protocol error hinting 431 (RFC 6585, "Request
Header Fields Too Large"); a head that arrived whole in one read is measured once parsed. uvicorn
answers every protocol error 400 in plain text; here the hint is kept and the answer is the API's JSON
error: ``431 headers_too_large`` or ``400 invalid_request``.
"""

from __future__ import annotations

import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Largest request head (request line and headers) a node accepts, bytes.
MAX_HEAD = 32 * 1024


class BoundedH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._status_hint = 400
        parse = self.conn.next_event

        def next_event() -> Any:
            try:
                event = parse()
            except h11.RemoteProtocolError as exc:
                self._status_hint = exc.error_status_hint
                raise
            # h11 bounds a head still arriving; one that arrived whole in a single read is measured here
            if isinstance(event, h11.Request) and \
                    len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers.raw_items()) > MAX_HEAD:
                self._status_hint = 431
                raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
            return event

        self.conn.next_event = next_event  # type: ignore[method-assign]

    def send_400_response(self, msg: str) -> None:
        too_large = self._status_hint == 431
        status = 431 if too_large else 400
        body = json.dumps({"code": "headers_too_large", "message": f"the request's headers exceed {MAX_HEAD} bytes"}
                          if too_large else {"code": "invalid_request", "message": "not a valid HTTP request"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        self.transport.write(self.conn.send(h11.Response(status_code=status, headers=headers,
                                                         reason=b"Request Header Fields Too Large" if too_large
                                                         else b"Bad Request")))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()
