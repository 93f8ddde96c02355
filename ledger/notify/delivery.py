"""Delivery of the outbox to the body's gateway: one signed HTTP POST per notice, retried with backoff.

The body is JSON (``civic-ledger/notice@1``): the notice id, its kind, the resident's subject id, the
custodian body, each read's reading body, purpose, category and time, and the link to the resident's
page. Never a name or an ID number: the gateway maps subject ids to phone numbers or WeChat ids.

Headers: ``X-Civic-Ledger-Notice`` (the id: the gateway's idempotency key; a notice whose answer was lost
to a crash is sent again with the same id) and ``X-Civic-Ledger-Signature: t=<unix time>,v1=<hex>``, the
HMAC-SHA-256 under ``notify_secret`` of ``"<t>.<body>"`` (the gateway refuses a stale ``t``).

A 2xx answer delivers the notice and is kept as its receipt; anything else (or no answer) is retried after
2, 4, 8 … seconds, at most an hour apart, for ever: a gateway down for a day gets every notice afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from sqlalchemy import Engine, select, update
from sqlmodel import col

from ledger.ids import code_name
from ledger.store.models import AccessEvent, Notice, NoticeRead

#: Notices sent per pass; the longest wait between attempts, seconds.
PASS, MAX_BACKOFF = 200, 3600.0


def signature(secret: bytes, body: bytes, at: int) -> str:
    mac = hmac.new(secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: bytes, body: bytes, header: str, *, now: float | None = None, tolerance: float = 300) -> bool:
    """The gateway's side: the signature is ours and fresh."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        at = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, at), header)


def _name(hex_id: str) -> str:
    return code_name(bytes.fromhex(hex_id[2:]))


class Delivery:
    def __init__(
        self,
        engine: Engine,
        body: bytes,
        *,
        webhook: str,
        secret: bytes,
        link: str,
        timeout: float = 10.0,
    ) -> None:
        self.engine, self.body = engine, "0x" + body.hex()
        self.webhook, self.secret, self.link = webhook, secret, link
        self.client = httpx.Client(timeout=timeout)
        self.delivered = 0

    def payload(self, n: Notice) -> dict[str, Any]:
        q = select(
            col(AccessEvent.seq),
            col(AccessEvent.reader_body),
            col(AccessEvent.purpose),
            col(AccessEvent.category),
            col(AccessEvent.at),
        ).where(col(AccessEvent.body) == self.body, col(AccessEvent.subject_id) == n.subject_id)
        told = select(col(NoticeRead.seq)).where(col(NoticeRead.notice_id) == n.id)
        q = q.where(col(AccessEvent.seq).in_(told))
        with self.engine.connect() as conn:
            reads = conn.execute(q.order_by(col(AccessEvent.seq))).all()
        return {
            "format": "civic-ledger/notice@1",
            "noticeId": n.id,
            "kind": n.kind,
            "subjectId": n.subject_id,
            "custodian": _name(self.body),
            "reads": [
                {
                    "seq": seq,
                    "readingBody": _name(rb),
                    "purpose": purpose,
                    "category": category,
                    "at": (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).isoformat(),
                }
                for seq, rb, purpose, category, at in reads
            ],
            "link": self.link,
        }

    def due(self, now: dt.datetime) -> list[Notice]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Notice)
                .where(col(Notice.body) == self.body, col(Notice.state) == "pending", col(Notice.next_attempt_at) <= now)
                .order_by(col(Notice.next_attempt_at))
                .limit(PASS)
            ).all()
        return [Notice.model_validate(dict(r._mapping)) for r in rows]

    def send(self, n: Notice) -> bool:
        """One attempt; the outcome is written before the next notice is tried."""
        body = json.dumps(self.payload(n), separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Civic-Ledger-Notice": n.id,
            "X-Civic-Ledger-Signature": signature(self.secret, body, int(time.time())),
        }
        now = dt.datetime.now(dt.UTC)
        try:
            answer = self.client.post(self.webhook, content=body, headers=headers)
            ok, said = 200 <= answer.status_code < 300, f"{answer.status_code} {answer.text[:900]}"
        except httpx.HTTPError as exc:
            ok, said = False, f"no answer: {type(exc).__name__}"
        values: dict[str, Any] = {"attempts": n.attempts + 1}
        if ok:
            values |= {"state": "delivered", "delivered_at": now, "receipt": said, "last_error": None}
        else:
            wait = min(MAX_BACKOFF, 2.0 ** min(n.attempts + 1, 12))
            values |= {"next_attempt_at": now + dt.timedelta(seconds=wait), "last_error": said[:500]}
        with self.engine.begin() as conn:
            conn.execute(update(Notice).where(col(Notice.id) == n.id, col(Notice.state) == "pending").values(**values))
        self.delivered += ok
        return ok

    def run_once(self) -> int:
        """Every due notice, in order, until one fails (the gateway is down: wait for its backoff)."""
        sent = 0
        for n in self.due(dt.datetime.now(dt.UTC)):
            if not self.send(n):
                break
            sent += 1
        return sent
