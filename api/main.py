"""The API application: wiring only. Run with ``ledger serve`` (uvicorn)."""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, portal
from api.deps import Node
from api.metrics import Metrics
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
    reads,
    records,
    residents,
    trail,
    tx,
)
from api.schemas.common import declare_errors
from api.settings import ApiSettings
from ledger.access.reads import ReadService
from ledger.chain.client import Relayer
from ledger.chain.deploy import Contracts
from ledger.chain.head import follow_chain
from ledger.errors import BadArgument
from ledger.index.indexer import Indexer
from ledger.jsondepth import MAX_JSON_DEPTH, json_depth
from ledger.peers.exchange import NodeClient, NodeIdentity
from ledger.peers.gather import published_api_at
from ledger.store.directory import Directory
from ledger.store.justifications import FreeTexts
from ledger.store.trail import Trail
from ledger.trail.anchor import TrailAnchorer

ROUTERS = (health.router, auth.router, bodies.router, records.router, access.router, residents.router, reads.router,
           emergencies.router, consortium.router, trail.router, audit.router, tx.router, catalog.router, node.router)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413: by their Content-Length before reading
    anything, and a body streamed without one (chunked) as soon as it passes the limit — it is read
    into memory only up to the limit, then handed to the app whole. A JSON body nested deeper than
    :data:`MAX_JSON_DEPTH` is refused with 422 before any parser sees it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"code": "payload_too_large", "message": f"request bodies are limited to {self.limit:,} "
                                                                    "bytes"}, status_code=413,
                           headers={"Connection": "close"})(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        if length in (None, b"0") and scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and \
                b"chunked" not in headers.get(b"transfer-encoding", b""):
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
            await JSONResponse({"code": "invalid_request", "message": f"the JSON body nests deeper than "
                                                                      f"{MAX_JSON_DEPTH} levels"},
                               status_code=422)(scope, receive, send)
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


@contextlib.contextmanager
def _sole(path: Path, stop: threading.Event) -> Iterator[None]:
    """Holds an exclusive lock on ``path`` (waiting for it, or for ``stop``) while inside."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "a+b") as f:
        while not stop.is_set():
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                stop.wait(1.0)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def limit_threads(n: int) -> None:
    """At most ``n`` threads run the blocking handlers (anyio's pool is 40 by default: under load they
    convoy on the GIL and the SQLite calls that release it, and throughput falls as threads rise)."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = n


class Workers:
    """Background threads of the node (indexer, anchoring worker), stopped with the app."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, name: str, target: Callable[[threading.Event], None]) -> None:
        t = threading.Thread(target=target, args=(self.stop,), name=name, daemon=True)
        t.start()
        self.threads.append(t)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_threads(settings.api_threads)
        from ledger.local import demo
        from ledger.local.system import open_chain, open_store

        if settings.body is None:
            raise BadArgument("set LEDGER_BODY: the body whose node this API is")
        chain = open_chain(settings)
        store = open_store(settings, chain, settings.body)
        contracts = Contracts.of(chain)
        trail = Trail(store.engine, store.body)
        relayer = Relayer(chain, settings.relayer_account())
        anchorer = TrailAnchorer(trail, contracts, relayer.account, mode=settings.trail_mode,
                                 batch_size=settings.trail_batch_size, interval=settings.trail_batch_interval,
                                 stuck_after=settings.tx_stuck_after)
        indexer = Indexer(store.engine, chain, from_block=chain.manifest.deploy_block if chain.manifest else 0,
                          depth=settings.index_depth)
        questions = follow_chain(chain, interval=settings.head_interval,
                                 shared=settings.home / "api" / f"{settings.body}.head")
        directory = Directory(store.engine)
        if settings.environment == "development" and demo.node_account(settings.body) is not None:
            demo.describe_staff(directory)  # the demo's invented staff, by name and post
        metrics.watch(outbox_pending=store.anchorer.pending_count, events=trail.last_seq, events_last=trail.last_seq,
                      anchor=anchorer.status, overdue=lambda: anchorer.overdue(settings.trail_anchor_grace),
                      index_rewinds=lambda: indexer.rewinds, head=questions)
        metrics.watch_commits(trail.writer)
        app.state.node = Node(settings, chain, contracts, store.engine, relayer, store, trail,
                              ReadService(store=store, trail=trail, questions=questions), metrics, anchorer, indexer,
                              FreeTexts(store.engine, store.body, store.keyring), directory, questions,
                              NodeClient(NodeIdentity(store.body, bytes(relayer.account.key), chain.chain_id,
                                                      contracts.bodies.handle.address),
                                         endpoint_of=partial(published_api_at, questions)))
        with Workers() as workers:
            workers.start("head", questions.head.follow)

            def background(stop: threading.Event) -> None:
                # One process of a body's node indexes and anchors: with several uvicorn workers, the one
                # holding the lock; another takes over when it dies.
                with _sole(settings.home / "api" / f"{settings.body}.background.lock", stop):
                    if stop.is_set():
                        return
                    inner = [threading.Thread(target=lambda: indexer.follow(stop, settings.index_interval),
                                              name="indexer", daemon=True)]
                    if settings.trail_anchoring:
                        inner.append(threading.Thread(target=anchorer.run, args=(stop,), name="anchorer", daemon=True))
                    for t in inner:
                        t.start()
                    for t in inner:
                        t.join()

            workers.start("background", background)
            yield
        store.engine.dispose()

    app = FastAPI(title="Civic Ledger API", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="One body's node of Civic Ledger: sign in with Ethereum (EIP-4361); "
                              "errors are JSON {code, message}.")
    errors.install(app)

    def openapi() -> dict[str, Any]:  # every operation declares its error answers, with the error model
        if app.openapi_schema is None:
            app.openapi_schema = declare_errors(get_openapi(title=app.title, version=app.version,
                                                            description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    for router in ROUTERS:
        app.include_router(router)
    portal.install(app, portal.chain_url(settings))
    app.add_middleware(BodyLimit, limit=settings.api_max_body)
    app.add_middleware(errors.CatchAll)

    app.add_middleware(Measure, metrics=metrics)

    @app.get("/metrics", include_in_schema=True, tags=["health"], summary="Prometheus metrics (text format)",
             response_class=PlainTextResponse)
    def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
