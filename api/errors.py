"""Every error leaves the API as JSON ``{"code", "message"}`` with a stable code and status."""

from __future__ import annotations

import logging
import secrets
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger import errors as e

log = logging.getLogger("ledger.api")

#: HTTP status of each domain error class (the first match along the class hierarchy).
STATUS: list[tuple[type[e.LedgerError], int]] = [
    (e.NotAuthenticated, 401),
    (e.SignInFailed, 401),
    (e.NodeUnauthenticated, 401),
    (e.NotAuthorized, 403),
    (e.AccessDenied, 403),
    (e.NotFound, 404),
    (e.RecordNotFound, 404),
    (e.RecordErased, 410),
    (e.Conflict, 409),
    (e.InvalidInput, 422),
    (e.InvalidRecord, 422),
    (e.InvalidNationalId, 422),
    (e.BadArgument, 422),
    (e.DisclosureInvalid, 422),
    (e.ForwardRequestInvalid, 422),
    (e.ReadRequestInvalid, 422),
    (e.RateLimited, 429),
    (e.ChainUnavailable, 503),
    (e.NodeUnavailable, 503),
    (e.StoreError, 503),
    (e.AnchorError, 503),
    (e.IndexerError, 503),
    (e.TrailInvalid, 422),
    (e.IntegrityFailure, 500),
    (e.KeyringError, 500),
]


def status_of(exc: e.LedgerError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(e.LedgerError)
    async def ledger_error(request: Request, exc: e.LedgerError) -> JSONResponse:
        if isinstance(exc, e.AccessDenied):
            node = getattr(request.app.state, "node", None)
            if node is not None:
                node.metrics.read_denials.labels(exc.decision).inc()
        # a person is asked for a bearer token; a node signs its requests instead (ledger.peers.exchange)
        headers = (
            {"WWW-Authenticate": "Bearer"} if status_of(exc) == 401 and not isinstance(exc, e.NodeUnauthenticated) else None
        )
        if isinstance(exc, e.RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(exc.to_json(), status_code=status_of(exc), headers=headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_down(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"code": "store", "message": "the database is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [_problem(err) for err in exc.errors()[:5]]
        problems = "; ".join(f"{f['name']}: {f['problem']}" for f in fields)
        return JSONResponse({"code": "invalid_request", "message": problems, "fields": fields}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body FastAPI could not parse: invalid input, like every other
            return JSONResponse(
                {"code": "invalid_request", "message": "the request body is not valid JSON"}, status_code=422
            )
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        return JSONResponse(
            {"code": codes.get(exc.status_code, "http_error"), "message": str(exc.detail)}, status_code=exc.status_code
        )


def _problem(err: Any) -> dict[str, str]:
    """One invalid input: where it was (``body``, ``query``, ``path``, ``header``), its name in the request
    (``fields.0``, ``recordId``), and what is wrong, in words."""
    where, *rest = [str(p) for p in err["loc"]] or ["body"]
    name = ".".join(rest) or "the request body"
    if where == "query":
        name = f"query parameter {name}"
    elif where == "path":
        name = f"{name} in the path"
    elif where == "header":
        name = f"header {name}"
    return {"in": where, "field": ".".join(rest), "name": name, "problem": str(err["msg"])}


class CatchAll:
    """Any exception no handler took becomes JSON ``{"code": "internal", "incident"}`` (500), and the
    connection stays usable. The log gets the incident id, the exception's type and where it was
    raised — not its message, which could carry a value from the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            incident = secrets.token_hex(6)
            where = " < ".join(
                f"{f.filename}:{f.lineno} in {f.name}" for f in reversed(traceback.extract_tb(exc.__traceback__)[-4:])
            )
            log.error(
                "incident %s: %s %s raised %s at %s",
                incident,
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                where,
            )
            if started:
                raise
            await JSONResponse(
                {
                    "code": "internal",
                    "incident": incident,
                    "message": f"the node failed unexpectedly; incident {incident} is in its log",
                },
                status_code=500,
            )(scope, receive, send)
