"""Single-use sign-in nonces, shared by every API worker through the database."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ledger.errors import RateLimited
from ledger.store.models import NodeNonce, SignInNonce, utcnow

NONCE_CHARS = 24  # alphanumeric: ~143 bits
#: Nonces open (issued, not expired) at once: the table stays bounded whoever asks.
MAX_OPEN = 10_000


def issue(engine: Engine, *, ttl: int = 300) -> tuple[str, dt.datetime]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    nonce = "".join(secrets.choice(alphabet) for _ in range(NONCE_CHARS))
    expires = utcnow() + dt.timedelta(seconds=ttl)
    with Session(engine) as s, s.begin():
        s.execute(delete(SignInNonce).where(col(SignInNonce.expires_at) < utcnow()))  # spent or not, expired
        open_now = s.exec(select(func.count()).select_from(SignInNonce)).one()
        if open_now >= MAX_OPEN:
            raise RateLimited("too many sign-ins are in progress at this node; try again in a minute", retry_after=60)
        s.add(SignInNonce(nonce=nonce, expires_at=expires))
    return nonce, expires


def consume(engine: Engine, nonce: str) -> bool:
    """Marks ``nonce`` used; False if it was never issued, is used already, or has expired."""
    now = utcnow()
    with Session(engine) as s, s.begin():
        result = s.execute(update(SignInNonce)
                           .where(col(SignInNonce.nonce) == nonce, col(SignInNonce.used_at).is_(None),
                                  col(SignInNonce.expires_at) > now)
                           .values(used_at=now))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


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
