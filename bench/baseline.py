"""The unaudited read, for ``ledger bench reads`` only: never served by a node, since it reads without a
trail. The node's stack (FastAPI, its middlewares, the token check, signature recovery, decryption,
the disclosure bundle) minus what the audit adds: no chain question, no access event, no receipt.

No ``from __future__ import annotations`` here: FastAPI reads the route's annotations at run time.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from api import errors
from api.deps import NodeDep, SignedIn
from api.metrics import Metrics
from api.middleware import BodyLimit, Measure
from api.schemas.common import DisclosureBundle
from api.schemas.reads import ReadIn
from api.settings import ApiSettings
from api.workers import limit_threads
from ledger.access.reads import parse
from ledger.commitments.disclosure import build_bundle
from ledger.errors import NotAuthorized
from ledger.local.system import open_chain, open_store


@dataclass
class _Node:
    settings: Any
    chain: Any
    store: Any


def baseline_app() -> FastAPI:
    settings = ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_threads(settings.api_threads)
        chain = open_chain(settings)
        app.state.node = _Node(settings, chain, open_store(settings, chain, str(settings.body)))
        yield

    app = FastAPI(lifespan=lifespan)
    errors.install(app)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/reads", response_model=DisclosureBundle)
    def read(body: ReadIn, account: SignedIn, node: NodeDep) -> DisclosureBundle:
        verifying = node.chain.contract("AccessTrail").address
        r = parse(body.typedData, body.signature, chain_id=node.chain.chain_id, verifying_contract=verifying)
        if r.reader.lower() != account.lower():
            raise NotAuthorized("the read request must be signed by the signed-in account", error="WrongSigner")
        content = node.store.open_stored(node.store.fetch(r.record_id))  # as the audited read: one query
        return DisclosureBundle.model_validate(build_bundle(content, r.fields, chain=node.chain))

    app.add_middleware(BodyLimit, limit=settings.api_max_body)
    app.add_middleware(errors.CatchAll)
    app.add_middleware(Measure, metrics=Metrics())
    return app
