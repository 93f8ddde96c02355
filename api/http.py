"""The HTTP protocol the node's uvicorn runs: httptools with bounded request heads, refusals in JSON.

uvicorn's httptools protocol takes request headers of any size: 4 × 64 MB of headers, sent without
signing in, grew a node from 151 to 400 MB. Here the bytes of a request head are counted as they
arrive; past :data:`MAX_HEAD` before the head is complete (or, for a head that came whole in one
read, once it is parsed), the node answers ``431 headers_too_large`` (RFC 6585, "Request Header
Fields Too Large") and closes the connection, so a head never holds more than that plus one read.
A request the parser cannot read is ``400 invalid_request``. Both are the API's JSON errors (uvicorn
answers them in plain text). httptools stays the parser: h11, which bounds heads by itself, is pure
Python, and the audited read on it kept less of the unaudited read's rate (``ledger bench reads``,
one client: 0.37 of it on h11, 0.43 on httptools).
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Largest request head (request line and headers) a node accepts, bytes.
MAX_HEAD = 32 * 1024
#: Seconds a refused connection is still read (and dropped) before it is closed.
LINGER = 2.0


class _Refused(Exception):
    """Raised from a parser callback once the request was answered with a refusal."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head, self._head_bytes, self._refused, self._head_ended = True, 0, False, False

    def on_message_begin(self) -> None:
        self._in_head, self._head_bytes, self._head_ended = True, 0, True  # this read's bytes: not all this head's
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes, self._head_ended = False, 0, True
        if len(self.url) + sum(len(k) + len(v) + 4 for k, v in self.headers) > MAX_HEAD:  # it came whole, in one read
            self._refuse(
                431,
                b"Request Header Fields Too Large",
                "headers_too_large",
                f"the request's headers exceed {MAX_HEAD} bytes",
            )
            raise _Refused  # stops the parser: this request goes no further
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused:  # the rest of a refused request: read and dropped, never kept
            return
        self._head_ended = False
        try:
            super().data_received(data)
        except _Refused:
            return
        # Only reads wholly inside one head count: a read in which a message began or a head ended also holds
        # other bytes (a body, the previous message), and at most one such read belongs to any head.
        if self._head_ended or not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD:
            if self.cycle is not None and not self.cycle.response_complete:  # an answer is on its way: no 431
                self.transport.close()
                return
            self._refuse(
                431,
                b"Request Header Fields Too Large",
                "headers_too_large",
                f"the request's headers exceed {MAX_HEAD} bytes",
            )

    def send_400_response(self, msg: str) -> None:
        if self._refused:  # the parser stopped on our own refusal, already answered
            return
        self._refuse(400, b"Bad Request", "invalid_request", "not a valid HTTP request")

    def _refuse(self, status: int, reason: bytes, code: str, message: str) -> None:
        """Answers, then closes gracefully: the answer is sent and the connection half-closed, and what the client
        still sends is read and dropped for a moment, so that the answer is not lost to a reset (a socket
        closed with unread data resets the connection, and the client may never see the answer)."""
        body = json.dumps({"code": code, "message": message}).encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, reason, len(body)) + body
        )
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER, self.transport.close)
