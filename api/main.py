"""The API application: wiring only. Run with ``ledger serve`` (uvicorn)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.deps import Node
from api.routes import auth, bodies, health, tx
from api.settings import ApiSettings
from ledger.chain.client import Relayer
from ledger.chain.deploy import Contracts
from ledger.errors import BadArgument
from ledger.store.db import open_engine


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, before they are read whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                response = JSONResponse({"code": "payload_too_large",
                                         "message": f"request bodies are limited to {self.limit:,} bytes"},
                                        status_code=413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from ledger.system import open_chain

        if settings.body is None:
            raise BadArgument("set LEDGER_BODY: the body whose node this API is")
        chain = open_chain(settings)
        app.state.node = Node(settings, chain, Contracts.of(chain), open_engine(settings.store_url(settings.body)),
                              Relayer(chain, settings.relayer_account()))
        yield
        app.state.node.engine.dispose()

    app = FastAPI(title="Civic Ledger API", version="0.1.0", lifespan=lifespan,
                  description="One body's node of Civic Ledger: sign in with Ethereum (EIP-4361); "
                              "errors are JSON {code, message}.")
    errors.install(app)
    for router in (health.router, auth.router, bodies.router, tx.router):
        app.include_router(router)
    app.add_middleware(BodyLimit, limit=settings.api_max_body)

    @app.middleware("http")
    async def no_store(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        return response

    return app
