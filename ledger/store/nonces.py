"""Single-use sign-in nonces (self-vouching, HMAC-tagged; used ones kept in the database, shared by every API
worker), and node-to-node request nonces."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ledger.store.models import NodeNonce, SignInNonce, utcnow

#: A sign-in nonce: its expiry (5 bytes, Unix seconds), 12 random bytes and 12 bytes of HMAC-SHA-256 over
#: both, in hex (58 characters, alphanumeric as EIP-4361 asks).
_EXPIRY, _RANDOM, _TAG = 5, 12, 12
_DOMAIN = b"civic-ledger/signin-nonce@1"


def _tag(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + body, hashlib.sha256).digest()[:_TAG]


def issue(*, key: bytes, ttl: int = 300) -> tuple[str, dt.datetime]:
    """A new nonce, valid for ``ttl`` seconds. Nothing is stored: the nonce vouches for itself (its tag), so
    however many are asked for, by however many clients, nothing fills up and no member is locked out."""
    expires = int(time.time()) + ttl
    body = expires.to_bytes(_EXPIRY, "big") + secrets.token_bytes(_RANDOM)
    return (body + _tag(key, body)).hex(), dt.datetime.fromtimestamp(expires, dt.UTC)


def consume(engine: Engine, nonce: str, *, key: bytes) -> bool:
    """Accepts ``nonce`` once; False if this node did not issue it, it has expired, or it was used already.
    Only a used nonce is stored (until it expires), so the table grows with signed sign-ins alone."""
    try:
        raw = bytes.fromhex(nonce)
    except ValueError:
        return False
    if len(raw) != _EXPIRY + _RANDOM + _TAG:
        return False
    body, tag = raw[:-_TAG], raw[-_TAG:]
    expires = int.from_bytes(body[:_EXPIRY], "big")
    if not hmac.compare_digest(tag, _tag(key, body)) or expires <= time.time():
        return False
    try:
        with Session(engine) as s, s.begin():
            s.execute(delete(SignInNonce).where(col(SignInNonce.expires_at) < utcnow()))
            s.add(SignInNonce(nonce=nonce.lower(), expires_at=dt.datetime.fromtimestamp(expires, dt.UTC), used_at=utcnow()))
    except IntegrityError:
        return False
    return True


def accept_node_nonce(engine: Engine, nonce: str, from_body: str, *, keep: int = 600) -> bool:
    """Stores the nonce of a node-to-node request; False if it was stored before (a replay). Nonces older
    than ``keep`` seconds go: a request that old is refused as stale before its nonce is looked at."""
    try:
        with Session(engine) as s, s.begin():
            s.execute(delete(NodeNonce).where(col(NodeNonce.seen_at) < utcnow() - dt.timedelta(seconds=keep)))
            s.add(NodeNonce(nonce=nonce, from_body=from_body))
    except IntegrityError:
        return False
    return True
