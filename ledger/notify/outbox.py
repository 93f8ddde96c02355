"""The outbox follows the trail: each access event after the cursor becomes a notice, in one transaction
with the cursor's move.

The trail is committed before any read is answered, so following it loses nothing to a crash: a node
killed after a read and before the notice resumes at the cursor. A read of a sensitive category
(``notify_sensitive``) is an ``instant`` notice of its own; every other read joins its resident's
``digest`` of the window it falls in (``notify_digest_seconds``, a day by default, days starting at
midnight in ``watchdog_timezone``), sent when the window ends. A read under a standing agreement (a
body's batch over a category, not one resident's case) joins the digest even of a sensitive category, so
such a batch read of a thousand residents, run as often as it is, is one notice to each, once that day
(a resident who chose ``instant`` for the category is told at once all the same). A read that reaches the
outbox after its digest went is a ``late`` notice of its own. A resident's choice for a category on-chain
(instant, digest, none; ``ResidentRegistry.setNoticeChoice``) overrides the sensitivity; "none" makes no
notice. Notice ids are Keccak-256 of their kind, body, subject and read or window: the gateway's
idempotency key, the same for a notice sent again. Which reads a notice tells of is kept (``notice_reads``).

A sealed read (:mod:`ledger.trail.seals`) is held back (``notices_held``) while its seal is in force, and
becomes a ``released`` notice of its own once the seal ends, by its release or at its end date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from eth_utils import keccak
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from ledger.store.models import AccessEvent, Notice, NoticeHeld, NoticeRead, NotifyCursor

#: A resident's choice for a category (``ResidentRegistry.noticeChoice``).
DEFAULT, INSTANT, DIGEST, NONE = 0, 1, 2, 3
#: Events turned into notices per transaction.
BATCH = 2_000
#: A digest goes this long after its window ends (a quarter of a shorter window): a read committed at the
#: window's last instant reaches the outbox first. One that comes later still gets a notice of its own ("late").
DIGEST_GRACE = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Windows:
    """Digest windows of ``seconds``, aligned on midnight in ``zone`` (a day by default)."""

    seconds: float
    zone: ZoneInfo

    def of(self, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        local = at.astimezone(self.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        n = int((local - midnight).total_seconds() // self.seconds)
        start = midnight + dt.timedelta(seconds=n * self.seconds)
        return start.astimezone(dt.UTC), (start + dt.timedelta(seconds=self.seconds)).astimezone(dt.UTC)


def notice_id(kind: str, body: str, subject: str, key: str) -> str:
    return "0x" + keccak(f"civic-ledger/notice@1|{kind}|{body}|{subject}|{key}".encode()).hex()


class Outbox:
    def __init__(
        self,
        engine: Engine,
        body: bytes,
        *,
        sensitive: Iterable[str],
        windows: Windows,
        choice_of: Callable[[str, str], int] = lambda _subject, _category: DEFAULT,
        sealed_now: Callable[[Collection[int]], set[int]] = lambda _ids: set(),
        standing: Callable[[Collection[int]], set[int]] = lambda _ids: set(),
    ) -> None:
        self.engine, self.body = engine, "0x" + body.hex()
        self.standing = standing  # which of these grants are standing agreements, from the chain (AccessRegistry)
        self.sealed_now = sealed_now  # which of these seals are in force now, from the chain (Seals)
        self.choice_of = choice_of  # the resident's choice for a category, from the chain (ResidentRegistry)
        self.sensitive, self.windows = frozenset(sensitive), windows
        self.grace = min(DIGEST_GRACE, dt.timedelta(seconds=windows.seconds / 4))
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert(Notice.__table__)  # type: ignore[attr-defined]
        self._insert_read = dialect.insert(NoticeRead.__table__)  # type: ignore[attr-defined]
        self._insert_held = dialect.insert(NoticeHeld.__table__)  # type: ignore[attr-defined]

    def follow(self) -> int:
        """Turns the events after the cursor into notices (at most :data:`BATCH`); returns how many it read."""
        with self.engine.begin() as conn:
            cursor = conn.execute(
                select(col(NotifyCursor.last_seq)).where(col(NotifyCursor.body) == self.body).with_for_update()
            ).scalar()
            if cursor is None:
                conn.execute(NotifyCursor.__table__.insert().values(body=self.body, last_seq=0))  # type: ignore[attr-defined]
                cursor = 0
            rows = conn.execute(
                select(
                    col(AccessEvent.seq),
                    col(AccessEvent.subject_id),
                    col(AccessEvent.category),
                    col(AccessEvent.at),
                    col(AccessEvent.seal_id),
                    col(AccessEvent.grant_id),
                )
                .where(col(AccessEvent.body) == self.body, col(AccessEvent.seq) > cursor)
                .order_by(col(AccessEvent.seq))
                .limit(BATCH)
            ).all()
            if not rows:
                return 0
            notices: list[dict[str, Any]] = []
            held: list[dict[str, Any]] = []
            choices: dict[tuple[str, str], int] = {}
            seals = {int(r[4]) for r in rows if r[4]}
            in_force = self.sealed_now(seals) if seals else set()
            grants = {int(r[5]) for r in rows if r[5]}
            bulk = self.standing(grants) if grants else set()
            for seq, subject, category, at, seal, grant in rows:
                at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
                if (subject, category) not in choices:
                    choices[(subject, category)] = self.choice_of(subject, category)
                choice = choices[(subject, category)]
                if choice == NONE:  # the resident chose not to be told of this category
                    continue
                if seal in in_force:  # told once the seal ends, never before
                    held.append({"body": self.body, "seq": seq, "seal_id": seal})
                elif seal:  # the seal ended before the outbox reached the read
                    now = dt.datetime.now(dt.UTC)
                    notices.append(self._row("released", subject, str(seq), seq, at, at, now) | {"read": seq})
                elif choice == INSTANT or (choice == DEFAULT and category in self.sensitive and grant not in bulk):
                    notices.append(self._row("instant", subject, str(seq), seq, at, at, at) | {"read": seq})
                else:
                    start, end = self.windows.of(at)
                    notices.append(
                        self._row("digest", subject, start.isoformat(), seq, start, end, end + self.grace) | {"read": seq}
                    )
            sent = set(
                conn.execute(
                    select(col(Notice.id)).where(
                        col(Notice.id).in_([n["id"] for n in notices if n["kind"] == "digest"]),
                        col(Notice.state) == "delivered",
                    )
                ).scalars()
            )
            for n in notices:  # a read that reached the outbox after its window's digest went: a notice of its own
                if n["id"] in sent:
                    n.update(
                        self._row(
                            "late",
                            str(n["subject_id"]),
                            str(n["seq"]),
                            int(n["seq"]),
                            n["window_start"],
                            n["window_end"],
                            dt.datetime.now(dt.UTC),
                        )
                    )
            if held:
                conn.execute(self._insert_held.on_conflict_do_nothing(index_elements=["body", "seq"]), held)
            if not notices:
                self._advance(conn, rows[-1][0])
                return len(rows)
            unique: dict[str, dict[str, Any]] = {}
            for n in notices:  # a digest keeps its first read's seq
                unique.setdefault(n["id"], n)
            conn.execute(
                self._insert.on_conflict_do_nothing(index_elements=["id"]),
                [{k: v for k, v in n.items() if k != "read"} for n in unique.values()],
            )
            conn.execute(
                self._insert_read.on_conflict_do_nothing(index_elements=["notice_id", "seq"]),
                [{"notice_id": n["id"], "seq": n["read"]} for n in notices],
            )
            self._advance(conn, rows[-1][0])
            return len(rows)

    def release_held(self) -> int:
        """Turns the held reads whose seal has ended into ``released`` notices; returns how many."""
        with self.engine.connect() as conn:
            seals = set(
                conn.execute(select(col(NoticeHeld.seal_id)).where(col(NoticeHeld.body) == self.body).distinct()).scalars()
            )
        if not seals:
            return 0
        ended = sorted(seals - self.sealed_now(seals))
        if not ended:
            return 0
        now = dt.datetime.now(dt.UTC)
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(col(AccessEvent.seq), col(AccessEvent.subject_id), col(AccessEvent.at))
                .join(
                    NoticeHeld,
                    (col(NoticeHeld.body) == col(AccessEvent.body)) & (col(NoticeHeld.seq) == col(AccessEvent.seq)),
                )
                .where(col(NoticeHeld.body) == self.body, col(NoticeHeld.seal_id).in_(ended))
            ).all()
            notices = [
                self._row("released", subject, str(seq), seq, _utc(at), _utc(at), now) | {"read": seq}
                for seq, subject, at in rows
            ]
            if notices:
                conn.execute(
                    self._insert.on_conflict_do_nothing(index_elements=["id"]),
                    [{k: v for k, v in n.items() if k != "read"} for n in notices],
                )
                conn.execute(
                    self._insert_read.on_conflict_do_nothing(index_elements=["notice_id", "seq"]),
                    [{"notice_id": n["id"], "seq": n["read"]} for n in notices],
                )
            conn.execute(delete(NoticeHeld).where(col(NoticeHeld.body) == self.body, col(NoticeHeld.seal_id).in_(ended)))
        return len(notices)

    def _advance(self, conn: Any, last: int) -> None:
        conn.execute(
            NotifyCursor.__table__.update()  # type: ignore[attr-defined]
            .where(NotifyCursor.__table__.c.body == self.body)  # type: ignore[attr-defined]
            .values(last_seq=last)
        )

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(Notice)
                    .where(col(Notice.body) == self.body, col(Notice.state) == "pending")
                ).scalar()
                or 0
            )

    def told_of(self, seqs: Iterable[int]) -> dict[int, Notice]:
        """The notice that tells of each of these reads (none yet: not in the outbox, or not to be told)."""
        wanted = sorted(set(seqs))
        if not wanted:
            return {}
        table = Notice.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(col(NoticeRead.seq).label("read"), table)
                .join(table, table.c.id == col(NoticeRead.notice_id))
                .where(table.c.body == self.body, col(NoticeRead.seq).in_(wanted))
            ).all()
        return {
            int(r._mapping["read"]): Notice.model_validate({k: v for k, v in r._mapping.items() if k != "read"})
            for r in rows
        }

    def latest(self, limit: int = 100) -> list[Notice]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Notice).where(col(Notice.body) == self.body).order_by(col(Notice.created_at).desc()).limit(limit)
            ).all()
        return [Notice.model_validate(dict(r._mapping)) for r in rows]

    def _row(
        self, kind: str, subject: str, key: str, seq: int, start: dt.datetime, end: dt.datetime, due: dt.datetime
    ) -> dict[str, Any]:
        return {
            "id": notice_id(kind, self.body, subject, key),
            "body": self.body,
            "subject_id": subject,
            "kind": kind,
            "seq": seq,
            "window_start": start,
            "window_end": end,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": dt.datetime.now(dt.UTC),
        }


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
