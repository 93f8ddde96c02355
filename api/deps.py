"""Request dependencies: the node's parts, and the current actor from the bearer token.

The token says only who signed in (the account) and until when. The body and roles are
read from the chain on every request, so a member removed on-chain loses access at the
next request, not when the token expires.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from api.metrics import Metrics
from api.settings import ApiSettings
from ledger.access.reads import ReadService
from ledger.chain.client import Chain, Relayer
from ledger.chain.deploy import Contracts
from ledger.chain.head import Questions
from ledger.chain.views import member_of
from ledger.errors import NotAuthenticated, NotAuthorized
from ledger.ids import Role, code_name
from ledger.index.indexer import Indexer
from ledger.notify.delivery import Delivery
from ledger.notify.outbox import Outbox
from ledger.peers.exchange import NodeClient
from ledger.peers.people import People
from ledger.records.store import RecordStore
from ledger.store.directory import Directory
from ledger.store.justifications import FreeTexts
from ledger.store.trail import Trail
from ledger.trail.anchor import TrailAnchorer
from ledger.trail.seals import SealWatch

ZERO = b"\0" * 32
TOKEN_AUDIENCE = "civic-ledger-api"


@dataclass(frozen=True, kw_only=True)
class Node:
    """What one body's node runs on: settings, chain, contracts, its database and store."""

    settings: ApiSettings
    chain: Chain
    contracts: Contracts
    engine: Engine
    relayer: Relayer
    store: RecordStore
    trail: Trail
    reads: ReadService
    metrics: Metrics
    anchorer: TrailAnchorer
    indexer: Indexer
    texts: FreeTexts
    directory: Directory
    questions: Questions
    peers: NodeClient  # other bodies' nodes, called as this node
    people: People  # names and posts: this body's from its directory, others' from their nodes
    outbox: Outbox  # notices to residents, following the trail
    delivery: Delivery | None  # to the gateway (None: no LEDGER_NOTIFY_WEBHOOK, notices wait)
    seals: SealWatch  # which seals hide reads from residents now

    @property
    def body(self) -> str:
        assert self.settings.body is not None
        return self.settings.body


ROLE_WORDS = {
    Role.ADMIN: "an admin",
    Role.OFFICER: "an officer",
    Role.AUDITOR: "an auditor",
    Role.EMERGENCY: "a member with the emergency role",
    Role.ANCHOR: "a node account",
}


@dataclass(frozen=True)
class Actor:
    address: str
    body: str | None  # None: not a member of any body (a resident with a wallet)
    roles: Role

    def require(self, roles: Role, what: str, *, body: str | None = None) -> None:
        """Refuses (403) unless the actor holds one of ``roles`` (in ``body``, when given)."""
        if not self.roles & roles or (body is not None and self.body != body):
            names = " or ".join(ROLE_WORDS[r] for r in Role if r in roles and r.name)
            where = f" of {body}" if body else ""
            raise NotAuthorized(f"only {names}{where} may {what}", error="MissingRole")

    @property
    def role_names(self) -> list[str]:
        return [r.name.lower() for r in Role if r in self.roles and r.name]


async def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]
_bearer = HTTPBearer(auto_error=False, description="Token from POST /auth/login")


def issue_token(settings: ApiSettings, address: str) -> tuple[str, dt.datetime]:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.api_token_ttl)
    assert settings.api_token_secret is not None
    token = jwt.encode(
        {"sub": address, "exp": expires, "aud": TOKEN_AUDIENCE, "iat": dt.datetime.now(dt.UTC)},
        settings.api_token_secret.get_secret_value(),
        algorithm="HS256",
    )
    return token, expires


async def signed_in(node: NodeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The account the bearer token names (checked: signature, audience, expiry); nothing asked of the chain."""
    if credentials is None:
        raise NotAuthenticated("sign in first: POST /auth/nonce, then POST /auth/login")
    assert node.settings.api_token_secret is not None
    try:
        claims = jwt.decode(
            credentials.credentials,
            node.settings.api_token_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=TOKEN_AUDIENCE,
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("the token has expired; sign in again") from None
    except jwt.InvalidTokenError:
        raise NotAuthenticated("the token is not valid") from None
    return str(claims["sub"])


SignedIn = Annotated[str, Depends(signed_in)]


def current_actor(node: NodeDep, address: SignedIn) -> Actor:
    """The signed-in account with its body and roles at the chain's head (one question per block)."""
    body, roles = member_of(node.questions, address)
    return Actor(address, code_name(body) if body != ZERO else None, Role(roles))


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def current_member(actor: CurrentActor) -> Actor:
    """The actor, who must be a member of a body now (checked on-chain at this request)."""
    if actor.body is None:
        raise NotAuthorized(f"{actor.address} is not a member of any body", error="NotMember")
    return actor


CurrentMember = Annotated[Actor, Depends(current_member)]
