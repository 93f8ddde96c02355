"""The access trail of one custodian body: events written before a read is answered,
and residents' access codes.

Each event also names its subject's previous event at this body (``subject_prev``), and its
hash covers that link: a subject's events form a chain, anchored with the events, so an
event left out of a subject's trail breaks the chain. A sealed read (written under a seal in force,
``seal_id``) is not in that chain: it starts a chain of its own, of the subject's events under the same
seal. So while the seal holds, the resident's chain has no gap where the read is; once it ends, the
seal's chain is shown whole (docs/FORMATS.md, sealed reads).

Sequence numbers are gapless per body: they are taken by one UPDATE of the body's counter row
(``trail_heads``) inside the transaction that writes the events, which holds the row until the
commit; writers in other processes wait for it, and nobody retries. Concurrent reads' events are
committed together, one transaction and one fsync for the lot (group commit). A replayed read
request is refused on its digest, changing nothing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, union_all, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, func, select

from ledger.commitments.record import canonical_json
from ledger.crypto.keccak import keccak
from ledger.errors import Conflict, InvalidInput, LedgerError, StoreError
from ledger.store.group_commit import GroupCommit
from ledger.store.models import AccessCode, AccessEvent, TrailAnchor, TrailHead, utcnow

#: Crockford base32 without I, L, O, U: unambiguous when read aloud or typed.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 20  # 100 bits
CODE_TTL = dt.timedelta(days=365)


@dataclass(frozen=True)
class NewEvent:
    """What a read records, before it has a sequence number."""

    reader: str
    reader_body: str
    record_id: str
    version: int
    subject_id: str
    category: str
    fields: list[str]
    purpose: str
    grant_id: int
    emergency_id: int
    block: int
    request: dict[str, Any]
    signature: str
    request_digest: str
    seal_id: int = 0


_EVENTS = AccessEvent.__table__  # type: ignore[attr-defined]
_HEADS = TrailHead.__table__  # type: ignore[attr-defined]
# Statements of the group commit, built once (building one costs more than running it on SQLite).
_SERVED = select(_EVENTS.c.request_digest).where(
    _EVENTS.c.body == bindparam("body"), _EVENTS.c.request_digest.in_(bindparam("digests", expanding=True))
)
# The subject's newest event: ORDER BY ... LIMIT 1 walks the (body, subject_id, seq) index backwards to
# one entry, whatever the planner's statistics say (max() was planned as a scan of all the subject's
# entries, or of the table, on a PostgreSQL whose tables had never been analysed).
_SUBJECT_LAST = (
    select(_EVENTS.c.seq)
    .where(
        _EVENTS.c.body == bindparam("body"),
        _EVENTS.c.subject_id == bindparam("subject"),
        _EVENTS.c.seal_id == bindparam("seal"),
    )
    .order_by(_EVENTS.c.seq.desc())
    .limit(1)
)
_TAKE = (
    update(_HEADS)
    .where(_HEADS.c.body == bindparam("head_body"))
    .values(last_seq=_HEADS.c.last_seq + bindparam("n"))
    .returning(_HEADS.c.last_seq)
)
_INSERT = insert(_EVENTS)
_OF_SUBJECT = (_EVENTS.c.body == bindparam("body"), _EVENTS.c.subject_id == bindparam("subject"))
_COUNT = select(func.count()).select_from(_EVENTS).where(*_OF_SUBJECT)
_COUNT_SHOWN = select(
    _COUNT.scalar_subquery()
    - select(func.count())
    .select_from(_EVENTS)
    .where(*_OF_SUBJECT, _EVENTS.c.seal_id > 0, _EVENTS.c.seal_id.in_(bindparam("hidden", expanding=True)))
    .scalar_subquery()
)


def settle(result: AccessEvent | LedgerError) -> AccessEvent:
    """The committed event, or the refusal raised."""
    if isinstance(result, LedgerError):
        raise result
    return result


def _replayed() -> Conflict:
    return Conflict("this signed read request was used already; sign a new one", error="ReadRequestReplayed")


def event_content(event: AccessEvent) -> dict[str, Any]:
    """What an event's hash covers: every column but the hash and the request (its digest is covered); the
    seal only for a sealed read, so an open read's hash is what it always was."""
    content = {
        "body": event.body,
        "seq": event.seq,
        "reader": event.reader,
        "readerBody": event.reader_body,
        "recordId": event.record_id,
        "version": event.version,
        "subjectId": event.subject_id,
        "category": event.category,
        "fields": json.loads(event.fields),
        "purpose": event.purpose,
        "grantId": event.grant_id,
        "emergencyId": event.emergency_id,
        "subjectPrev": event.subject_prev,
        "block": event.block,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "requestDigest": event.request_digest,
        "signature": event.signature,
    }
    if event.seal_id:
        content["sealId"] = event.seal_id
    return content


def content_hash(content: dict[str, Any]) -> str:
    """keccak256 of the RFC 8785 canonical JSON of an event's content."""
    return "0x" + keccak(canonical_json(content)).hex()


def event_hash(event: AccessEvent) -> str:
    return content_hash(event_content(event))


class Trail:
    def __init__(self, engine: Engine, body: bytes) -> None:
        self.engine = engine
        self.body = "0x" + body.hex()
        self.writer: GroupCommit[NewEvent, AccessEvent | LedgerError] = GroupCommit(
            self.append_many, name=f"trail-{self.body[:10]}"
        )

    def is_replay(self, request_digest: str) -> bool:
        with Session(self.engine) as s:
            q = select(AccessEvent.seq).where(AccessEvent.body == self.body, AccessEvent.request_digest == request_digest)
            return s.exec(q).first() is not None

    def append(self, new: NewEvent) -> AccessEvent:
        """Writes the event durably (committed) and returns it with its sequence number. Concurrent
        appends are committed together (:class:`~ledger.store.group_commit.GroupCommit`)."""
        return settle(self.submit(new).result())

    def submit(self, new: NewEvent) -> Future[AccessEvent | LedgerError]:
        """Queues the event for the next group commit; the future holds the event, or the error that
        refused it (see :func:`settle`). An async caller awaits it without holding a thread."""
        return self.writer.submit(new)

    def append_many(self, news: Sequence[NewEvent], *, _again: bool = True) -> list[AccessEvent | LedgerError]:
        """Commits ``news`` in one transaction, in order; each gets its event or the error that refused
        it (a replayed request: :class:`Conflict`). The counter row's UPDATE takes the numbers and
        holds the row until the commit, so writers in other processes wait rather than collide.
        SQLAlchemy Core, not the ORM: this runs once per group of reads, under load."""
        try:
            with self.engine.begin() as conn:
                digests = [n.request_digest for n in news]
                served = set(conn.execute(_SERVED, {"body": self.body, "digests": digests}).scalars())
                out: list[AccessEvent | LedgerError] = [_replayed() for _ in news]
                fresh: list[tuple[int, NewEvent]] = []
                for i, n in enumerate(news):
                    if n.request_digest not in served:
                        served.add(n.request_digest)
                        fresh.append((i, n))
                if not fresh:
                    return out
                last = self._take(conn, len(fresh))
                prev: dict[tuple[str, int], int] = {}
                now = utcnow()
                rows = []
                for offset, (i, n) in enumerate(fresh, start=1):
                    chain = (n.subject_id, n.seal_id)  # the subject's open chain, or their chain under one seal
                    if chain not in prev:
                        prev[chain] = int(
                            conn.execute(
                                _SUBJECT_LAST, {"body": self.body, "subject": n.subject_id, "seal": n.seal_id}
                            ).scalar()
                            or 0
                        )
                    seq = last - len(fresh) + offset
                    row: dict[str, Any] = dict(
                        body=self.body,
                        seq=seq,
                        reader=n.reader,
                        reader_body=n.reader_body,
                        record_id=n.record_id,
                        version=n.version,
                        subject_id=n.subject_id,
                        category=n.category,
                        fields=json.dumps(sorted(n.fields)),
                        purpose=n.purpose,
                        grant_id=n.grant_id,
                        emergency_id=n.emergency_id,
                        subject_prev=prev[chain],
                        seal_id=n.seal_id,
                        block=n.block,
                        at=now,
                        request=json.dumps(n.request, sort_keys=True),
                        signature=n.signature,
                        request_digest=n.request_digest,
                        event_hash="",
                    )
                    event = AccessEvent(**row)
                    row["event_hash"] = event.event_hash = event_hash(event)
                    prev[chain] = seq
                    rows.append(row)
                    out[i] = event
                conn.execute(_INSERT, rows)
            return out
        except IntegrityError:
            # another process served one of these requests between our check and our insert: one by one
            if len(news) > 1:
                return [r for n in news for r in self.append_many([n])]
            if self.is_replay(news[0].request_digest):
                return [_replayed()]
            if _again:  # two first writers created the counter row at once: it exists now
                return self.append_many(news, _again=False)
            raise StoreError("could not record the access event: the trail's counter is taken; try again") from None
        except SQLAlchemyError as exc:
            raise StoreError(f"could not record the access event: {exc.__class__.__name__}") from exc

    def _take(self, conn: Connection, n: int) -> int:
        """Takes ``n`` sequence numbers; returns the last. The row stays locked until the commit."""
        h = _HEADS
        taken = conn.execute(_TAKE, {"head_body": self.body, "n": n}).scalar()
        if taken is not None:
            return int(taken)
        # this body's first event (or a database made before the counter): start from what is there
        last = int(conn.execute(select(func.max(_EVENTS.c.seq)).where(_EVENTS.c.body == self.body)).scalar() or 0)
        conn.execute(insert(h).values(body=self.body, last_seq=last + n))  # two first writers: one fails, again
        return last + n

    def events(
        self, *, subject_id: str | None = None, after: int = 0, limit: int = 500, hidden: Collection[int] = ()
    ) -> list[AccessEvent]:
        """Events after sequence number ``after``, oldest first; none under the seals ``hidden``."""
        with Session(self.engine) as s:
            q = select(AccessEvent).where(AccessEvent.body == self.body, col(AccessEvent.seq) > after)
            if subject_id is not None:
                q = q.where(AccessEvent.subject_id == subject_id)
            q = _unhidden(q, hidden)
            return list(s.exec(q.order_by(col(AccessEvent.seq)).limit(limit)).all())

    def latest(
        self, *, subject_id: str, before: int | None = None, limit: int = 50, hidden: Collection[int] = ()
    ) -> list[AccessEvent]:
        """A subject's events newest first, those before sequence number ``before`` (a page); none under the
        seals ``hidden``."""
        with Session(self.engine) as s:
            q = select(AccessEvent).where(AccessEvent.body == self.body, AccessEvent.subject_id == subject_id)
            if before is not None:
                q = q.where(col(AccessEvent.seq) < before)
            q = _unhidden(q, hidden)
            return list(s.exec(q.order_by(col(AccessEvent.seq).desc()).limit(limit)).all())

    def count_of(self, subject_id: str, *, hidden: Collection[int] = ()) -> int:
        """The subject's events, less those under the seals ``hidden``: index-only counts (the sealed ones from the
        partial index of sealed reads), never a visit of each event's row; statements built once."""
        params: dict[str, Any] = {"body": self.body, "subject": subject_id}
        with self.engine.connect() as conn:
            if not hidden:
                return int(conn.execute(_COUNT, params).scalar_one())
            return int(conn.execute(_COUNT_SHOWN, params | {"hidden": sorted(hidden)}).scalar_one())

    def sealed(self) -> list[tuple[int, str, int, dt.datetime]]:
        """(seal, reader body, reads, first read's time) of every seal this node wrote reads under."""
        with Session(self.engine) as s:
            q = (
                select(AccessEvent.seal_id, AccessEvent.reader_body, func.count(), func.min(AccessEvent.at))
                .where(AccessEvent.body == self.body, col(AccessEvent.seal_id) > 0)
                .group_by(col(AccessEvent.seal_id), col(AccessEvent.reader_body))
            )
            return [(int(i), str(b), int(n), _utc(at)) for i, b, n, at in s.exec(q).all()]

    def between(self, first: int, last: int) -> list[AccessEvent]:
        """Events ``first``..``last`` by sequence number (fewer when some are missing)."""
        with Session(self.engine) as s:
            q = select(AccessEvent).where(
                AccessEvent.body == self.body, col(AccessEvent.seq) >= first, col(AccessEvent.seq) <= last
            )
            return list(s.exec(q.order_by(col(AccessEvent.seq))).all())

    def get(self, seq: int) -> AccessEvent | None:
        with Session(self.engine) as s:
            return s.exec(select(AccessEvent).where(AccessEvent.body == self.body, AccessEvent.seq == seq)).first()

    def last_seq(self) -> int:
        with Session(self.engine) as s:
            return int(s.exec(select(func.max(AccessEvent.seq)).where(AccessEvent.body == self.body)).one() or 0)

    def anchors_of(self, seqs: Sequence[int]) -> dict[int, TrailAnchor]:
        """The anchor (batch, or single event) holding each of ``seqs``, for those anchored so far."""
        if not seqs:
            return {}
        # Anchors hold disjoint ranges. Close seqs (a range of the trail): the anchors between them, one
        # index range. Seqs far apart (a resident's page across a long trail): for each, the anchor that
        # starts last at or before it, all in one statement. Either way no scan of the whole table.
        wanted = sorted(set(seqs))
        with Session(self.engine) as s:
            if wanted[-1] - wanted[0] < 4 * len(wanted):
                q = select(TrailAnchor).where(
                    TrailAnchor.body == self.body,
                    col(TrailAnchor.last_seq) >= wanted[0],
                    col(TrailAnchor.first_seq) <= wanted[-1],
                )
                rows = list(s.exec(q).all())
            else:
                rows = []
                for i in range(0, len(wanted), 100):
                    parts = [
                        select(TrailAnchor.first_seq)
                        .where(TrailAnchor.body == self.body, col(TrailAnchor.first_seq) <= seq)
                        .order_by(col(TrailAnchor.first_seq).desc())
                        .limit(1)
                        .subquery()
                        .select()
                        for seq in wanted[i : i + 100]
                    ]
                    starts_q = union_all(*parts) if len(parts) > 1 else parts[0]
                    firsts = {int(f) for (f,) in s.execute(starts_q).all()}
                    rows += list(
                        s.exec(
                            select(TrailAnchor).where(TrailAnchor.body == self.body, col(TrailAnchor.first_seq).in_(firsts))
                        ).all()
                    )
        anchors = sorted((a for a in rows if a.state == "anchored"), key=lambda a: a.first_seq)
        starts = [a.first_seq for a in anchors]
        found = {}
        for seq in seqs:
            i = bisect.bisect_right(starts, seq) - 1
            if i >= 0 and anchors[i].last_seq >= seq:
                found[seq] = anchors[i]
        return found

    def reads_per_day(self, since: dt.datetime) -> list[tuple[dt.date, str, int]]:
        """(UTC day, reader body, reads) of the events since ``since``."""
        day = func.date(AccessEvent.at)
        with Session(self.engine) as s:
            q = (
                select(day, AccessEvent.reader_body, func.count())
                .where(AccessEvent.body == self.body, col(AccessEvent.at) >= since)
                .group_by(day, AccessEvent.reader_body)
                .order_by(day)
            )
            rows = s.exec(q).all()
        return [(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)), str(b), int(n)) for d, b, n in rows]

    def anchor_latency(self, last: int = 2000) -> dict[str, float | None]:
        """Accept → anchored (the anchor's confirmation at this node) of the latest ``last`` anchored events."""
        with Session(self.engine) as s:
            q = select(AccessEvent.seq, AccessEvent.at).where(AccessEvent.body == self.body)
            rows = s.exec(q.order_by(col(AccessEvent.seq).desc()).limit(last)).all()
        anchors = self.anchors_of([seq for seq, _ in rows])
        waits = sorted(
            (a.anchored_at.replace(tzinfo=a.anchored_at.tzinfo or dt.UTC) - at).total_seconds()
            for seq, at in rows
            if (a := anchors.get(seq)) is not None and a.anchored_at is not None
        )
        if not waits:
            return {"p50": None, "p95": None, "max": None}

        def pick(q: float) -> float:
            return round(waits[min(len(waits) - 1, int(q * len(waits)))], 3)

        return {"p50": pick(0.5), "p95": pick(0.95), "max": round(waits[-1], 3)}

    # ------------------------------------------------------------- access codes

    def issue_code(self, *, subject_id: str, issued_by: str) -> tuple[str, dt.datetime]:
        """A new access code for ``subject_id`` (earlier ones stop working); only its hash is stored."""
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARS))
        code = "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))
        now = utcnow()
        expires = now + CODE_TTL
        with Session(self.engine) as s, s.begin():
            s.execute(
                update(AccessCode)
                .where(
                    col(AccessCode.body) == self.body,
                    col(AccessCode.subject_id) == subject_id,
                    col(AccessCode.revoked_at).is_(None),
                )
                .values(revoked_at=now)
            )
            s.add(
                AccessCode(
                    code_hash=code_hash(code),
                    body=self.body,
                    subject_id=subject_id,
                    issued_by=issued_by,
                    issued_at=now,
                    expires_at=expires,
                )
            )
        return code, expires

    def subject_of_code(self, code: str) -> str | None:
        """The subject id an access code opens, if it is valid now."""
        return self.subject_of_code_hash(code_hash(normalise_code(code)))

    def code_expiry(self, hashed: str) -> dt.datetime | None:
        """When the code with this hash expires (None if unknown)."""
        with Session(self.engine) as s:
            row = s.get(AccessCode, hashed)
            return None if row is None else row.expires_at.replace(tzinfo=row.expires_at.tzinfo or dt.UTC)

    def subject_of_code_hash(self, hashed: str) -> str | None:
        """The subject id of the code with this hash, if the code is valid now (not replaced, not expired):
        a resident's trail session ends with its code."""
        with Session(self.engine) as s:
            row = s.get(AccessCode, hashed)
            if row is None or row.body != self.body or row.revoked_at is not None:
                return None
            if row.expires_at.replace(tzinfo=row.expires_at.tzinfo or dt.UTC) <= utcnow():
                return None
            return row.subject_id


def _unhidden(q: Any, hidden: Collection[int]) -> Any:
    return q.where(col(AccessEvent.seal_id).not_in(sorted(hidden))) if hidden else q


def _utc(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=at.tzinfo or dt.UTC)


def normalise_code(code: str) -> str:
    """Upper case, dashes and spaces dropped, commonly confused letters mapped (Crockford)."""
    raw = code.upper().replace("-", "").replace(" ", "").translate(str.maketrans("ILO", "110"))
    if len(raw) != CODE_CHARS or any(c not in CODE_ALPHABET for c in raw):
        raise InvalidInput(
            "an access code is 20 characters (letters and digits, dashes optional)", error="MalformedAccessCode"
        )
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def code_hash(code: str) -> str:
    # A code has 100 bits of entropy: a plain SHA-256 cannot be reversed by guessing.
    return "0x" + hashlib.sha256(code.encode("ascii")).hexdigest()
