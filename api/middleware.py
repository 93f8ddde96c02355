"""The node's ASGI middlewares: request bodies bounded before anything reads them, and every answer
measured and given its Cache-Control."""

from __future__ import annotations

import time

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics
from ledger.jsondepth import MAX_JSON_DEPTH, json_depth


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413: by their Content-Length before reading
    anything, and a body streamed without one (chunked) as soon as it passes the limit — it is read
    into memory only up to the limit, then handed to the app whole. A JSON body nested deeper than
    :data:`MAX_JSON_DEPTH` is refused with 422 before any parser sees it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse(
            {"code": "payload_too_large", "message": f"request bodies are limited to {self.limit:,} bytes"},
            status_code=413,
            headers={"Connection": "close"},
        )(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        if (
            length in (None, b"0")
            and scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE")
            and b"chunked" not in headers.get(b"transfer-encoding", b"")
        ):
            await self.app(scope, receive, send)
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return
        if b"json" in headers.get(b"content-type", b"") and json_depth(bytes(body)) > MAX_JSON_DEPTH:
            await JSONResponse(
                {"code": "invalid_request", "message": f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels"},
                status_code=422,
            )(scope, receive, send)
            return
        done = False

        async def replay() -> Message:
            nonlocal done
            if done:
                return await receive()
            done = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


class Measure:
    """Counts and times every answer by route and status, and sets its Cache-Control (pure ASGI: no
    request object, no response body buffering). API answers are never cached; the portal's files are
    revalidated (ETag), not fetched again whole."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        cache = b"no-cache" if scope["path"].startswith(("/static/", "/vendor/")) else b"no-store"
        status = 500

        async def measured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", cache)]}
            await send(message)

        try:
            await self.app(scope, receive, measured)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            m = self.metrics
            m.latency.labels(route).observe(time.perf_counter() - started)
            m.requests.labels(scope["method"], route, str(status)).inc()
            if status in (401, 403):
                m.denials.labels(str(status)).inc()
