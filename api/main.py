"""The API application: wiring only. Run with ``ledger serve`` (uvicorn)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from api import errors
from api.assembly import background, build_node
from api.metrics import Metrics
from api.middleware import BodyLimit, Measure
from api.portal import pages as portal
from api.routes import (
    access,
    audit,
    auth,
    bodies,
    catalog,
    consortium,
    emergencies,
    health,
    node,
    notify,
    posts,
    reads,
    records,
    residents,
    seals,
    trail,
    tx,
    watchdog,
)
from api.schemas.common import declare_errors
from api.settings import ApiSettings
from api.workers import Workers, limit_threads

ROUTERS = (
    health.router,
    auth.router,
    bodies.router,
    records.router,
    access.router,
    residents.router,
    reads.router,
    emergencies.router,
    consortium.router,
    trail.router,
    audit.router,
    tx.router,
    catalog.router,
    node.router,
    posts.router,
    watchdog.router,
    notify.router,
    seals.router,
)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_threads(settings.api_threads)
        node = app.state.node = build_node(settings=settings, metrics=metrics)
        with Workers() as workers:
            workers.start("head", node.questions.head.follow)
            workers.start("background", partial(background, node))
            yield
        node.engine.dispose()

    app = FastAPI(
        title="Civic Ledger API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="One body's node of Civic Ledger: sign in with Ethereum (EIP-4361); errors are JSON {code, message}.",
    )
    errors.install(app)

    def openapi() -> dict[str, Any]:  # every operation declares its error answers, with the error model
        if app.openapi_schema is None:
            app.openapi_schema = declare_errors(
                get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    for router in ROUTERS:
        app.include_router(router)
    portal.install(app, portal.chain_url(settings))
    app.add_middleware(BodyLimit, limit=settings.api_max_body)
    app.add_middleware(errors.CatchAll)

    app.add_middleware(Measure, metrics=metrics)

    @app.get(
        "/metrics",
        include_in_schema=True,
        tags=["health"],
        summary="Prometheus metrics (text format)",
        response_class=PlainTextResponse,
    )
    def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
