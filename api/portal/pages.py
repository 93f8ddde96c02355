"""The web portal: one HTML shell per page, small ES modules, and pinned npm assets.

Nothing is built at run time and nothing is loaded from outside the node: the pages, scripts,
styles and catalogues are files of this package; ``ethers`` comes from the npm install
(``node_modules``, pinned by ``package-lock.json``) and is served under ``/vendor/``. Every page
is built in the browser from the JSON API with ``textContent`` only (never HTML from data),
under a Content-Security-Policy with no inline script; the session token lives in
``sessionStorage`` and keys only in memory.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import NodeDep
from api.settings import ApiSettings
from ledger.toolchain import project_root

HERE = Path(__file__).parent
PAGES = ("resident", "officer", "admin", "auditor")
#: npm files served to browsers, by the name pages import them as.
VENDOR = {
    "ethers.js": "ethers/dist/ethers.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "redoc.standalone.js": "redoc/bundles/redoc.standalone.js",
}
#: The API documentation pages (Swagger UI, ReDoc, from the npm install): their libraries inject <style>
#: elements and ReDoc searches in a blob: worker, so their policy allows inline styles and blob: workers.
DOCS = ("/docs", "/redoc")

router = APIRouter(include_in_schema=False)


@functools.cache
def _shell(page: str) -> str:
    return (HERE / "shell.html").read_text(encoding="utf-8").replace("{{page}}", page).replace("{{pages}}", " ".join(PAGES))


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    return HTMLResponse(_shell("home"))


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> FileResponse:
    """The OpenAPI schema in Swagger UI, served from the npm install (no CDN)."""
    return FileResponse(HERE / "docs.html", media_type="text/html")


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> FileResponse:
    """The OpenAPI schema in ReDoc, served from the npm install (no CDN)."""
    return FileResponse(HERE / "redoc.html", media_type="text/html")


def _page(name: str) -> None:
    @router.get(f"/{name}", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(_shell(name))


for _name in PAGES:
    _page(_name)


async def vendor(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in VENDOR:
        return JSONResponse({"code": "not_found", "message": f"no asset {name}"}, status_code=404)
    media = "text/css" if name.endswith(".css") else "text/javascript"
    if name == "redoc.standalone.js":
        return Response(_redoc(), media_type=media)
    return FileResponse(project_root() / "node_modules" / VENDOR[name], media_type=media)


#: ReDoc's side menu draws its maker's logo from a CDN, with no option to leave it out: the node serves the
#: pinned bundle with that one address replaced by an empty image, so no page asks outside the node (the
#: "API docs by Redocly" credit stays).
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@functools.cache
def _redoc() -> str:
    bundle = (project_root() / "node_modules" / VENDOR["redoc.standalone.js"]).read_text(encoding="utf-8")
    return bundle.replace(REDOC_LOGO, EMPTY_IMAGE)  # tests/portal: no page loads anything from outside


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """For clients that ask for /favicon.ico whatever the page says: the portal's icon."""
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")


@router.get("/portal/config")
def config(node: NodeDep) -> JSONResponse:
    """What the portal's scripts need: this body and its kind, the chain, and the endpoint browsers verify against."""
    kind = node.contracts.bodies.get_body(node.store.body).kind.name.lower()
    return JSONResponse(
        {
            "body": node.body,
            "kind": kind,
            "chainId": node.chain.chain_id,
            "chainUrl": chain_url(node.settings),
            "contracts": {n: node.chain.contract(n).address for n in ("AccessTrail", "BodyRegistry", "RecordRegistry")},
        }
    )


def chain_url(settings: ApiSettings) -> str:
    return settings.portal_chain_url or settings.effective_rpc_url


def policy(chain: str, *, docs: bool = False) -> str:
    parts = urlsplit(chain)
    origin = f"{parts.scheme}://{parts.netloc}"
    if docs:
        return (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"connect-src 'self' {origin}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Adds the portal's Content-Security-Policy and the usual hardening headers to every answer
    (pure ASGI: no threadpool hop)."""

    def __init__(self, app: ASGIApp, chain: str) -> None:
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        self.headers = [(b"content-security-policy", policy(chain).encode()), *common]
        self.docs_headers = [(b"content-security-policy", policy(chain, docs=True).encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.docs_headers if scope.get("path") in DOCS else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, chain: str) -> None:
    app.include_router(router)
    app.mount("/static", GZipMiddleware(StaticFiles(directory=HERE / "static"), minimum_size=512), name="static")
    app.mount("/vendor", GZipMiddleware(Starlette(routes=[Route("/{name}", vendor)]), minimum_size=512), name="vendor")
    app.add_middleware(SecurityHeaders, chain=chain)
