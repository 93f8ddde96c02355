"""Single-use sign-in nonces, shared by every API worker through the database."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from ledger.store.models import SignInNonce, utcnow

NONCE_CHARS = 24  # alphanumeric: ~143 bits


def issue(engine: Engine, *, ttl: int = 300) -> tuple[str, dt.datetime]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    nonce = "".join(secrets.choice(alphabet) for _ in range(NONCE_CHARS))
    expires = utcnow() + dt.timedelta(seconds=ttl)
    with Session(engine) as s, s.begin():
        s.execute(delete(SignInNonce).where(col(SignInNonce.expires_at) < utcnow() - dt.timedelta(days=1)))
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
