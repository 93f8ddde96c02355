"""The audit of one body's node: its records, its trail and its anchors, against the chain.

A numbered checklist (SPEC §5):

1. every off-chain record version still decrypts and matches its on-chain commitment;
2. every access event is allowed by the access rule (:func:`ledger.access.rule.decide`, the
   contracts' rule, once) at the block where it was checked: a valid grant, an own-body read by
   a member, or an emergency read for the declaration's purpose, within its window, not after a
   verdict of unjustified, and reviewed (unreviewed ones are listed);
3. every event's hash recomputes from its content; sequence numbers run 1, 2, ... without
   gap; each subject's events chain; the chain's anchors are contiguous, each recomputes
   from the stored events (so every inclusion proof from it verifies), and each is
   recorded in this database; no event is past its anchoring deadline;
4. every event's read request matches its digest, is signed by its reader, and asks for
   what the event says was read.

The chain is the reference: anchors and commitments are read from it, not from the
database under audit. Grants come from the chain index (:mod:`ledger.index.indexer`), synced first;
its journal can be re-derived from the chain at any time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from hexbytes import HexBytes
from sqlmodel import Session, col, func, select

from ledger.access.rule import ChainFacts, ReadAsked, RecordFacts, decide
from ledger.audit.findings import finding
from ledger.audit.history import ChainHistory, emergency_at, grant_at
from ledger.chain.access import ConsentState, Decision, Grant
from ledger.chain.deploy import Contracts
from ledger.errors import ChainUnavailable, LedgerError, TrailInvalid
from ledger.ids import code_id, code_name, hex32
from ledger.index.indexer import Indexer
from ledger.index.models import IxEmergency, IxGrant, IxRequest
from ledger.records.store import RecordStore
from ledger.store.models import AccessEvent, Record, RecordVersion, TrailAnchor
from ledger.store.trail import content_hash, event_content
from ledger.trail.proofs import batch_root, chain_anchors, check_contiguous, check_request

TITLES = {
    1: "Every off-chain record matches its on-chain commitment",
    2: "Every access event had a valid grant at its time, or is a reviewed emergency read",
    3: "Batch roots recompute, sequences have no gaps, every inclusion proof verifies",
    4: "Every signature in the trail verifies",
}
#: Events checked per worker task (hashes and signatures run in parallel processes).
CHUNK = 2_000
MAX_LISTED = 1_000  # failures listed per check (all are counted)

Progress = Callable[[str, int, int], None]


@dataclass
class Check:
    number: int
    checked: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def fail(self, kind: str, ref: object, code: str, **vars: Any) -> None:
        """One problem with an item (``kind`` event, record or anchor; ``ref`` which), by its finding code."""
        self.failed += 1
        if len(self.failures) < MAX_LISTED:
            self.failures.append({"item": f"{kind} {ref}".strip(), "kind": kind, "ref": str(ref), **finding(code, **vars)})

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": TITLES[self.number],
            "ok": self.ok,
            "checked": self.checked,
            "failed": self.failed,
            "failures": self.failures,
            "notes": self.notes,
        }


@dataclass
class AuditReport:
    body: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    checks: dict[int, Check] = field(default_factory=lambda: {n: Check(n) for n in TITLES})
    unreviewed_emergencies: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    records: int = 0  # records of the body in this database, erased ones included
    anchored_through: int = 0  # the last event the chain's anchors of the body hold
    seconds: float = 0.0

    @property
    def body_code(self) -> str:
        return code_name(bytes.fromhex(self.body[2:]))

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks.values())

    @property
    def empty(self) -> bool:
        """The node keeps no records and no access events: it passes because there is nothing to check."""
        return self.records == 0 and self.events == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": "civic-ledger/audit@1",
            "body": self.body_code,
            "bodyId": self.body,
            "ok": self.ok,
            "empty": self.empty,
            "startedAt": self.started_at.isoformat(),
            "finishedAt": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": round(self.seconds, 3),
            "events": self.events,
            "records": self.records,
            "anchoredThrough": self.anchored_through,
            "checks": [c.as_json() for c in self.checks.values()],
            "unreviewedEmergencies": self.unreviewed_emergencies,
        }


def _events(store: RecordStore, body: str, batch: int = 10_000) -> Iterator[list[Any]]:
    """The body's events in sequence order, as plain rows (no ORM objects: a million of them is the case)."""
    table = AccessEvent.__table__  # type: ignore[attr-defined]
    after = 0
    while True:
        with store.engine.connect() as conn:
            q = table.select().where(table.c.body == body, table.c.seq > after)
            rows = list(conn.execute(q.order_by(table.c.seq).limit(batch)).all())
        if not rows:
            return
        yield rows
        after = rows[-1].seq


#: A trail check's reason (:func:`ledger.trail.proofs.check_request`) as the audit's finding.
REQUEST_FINDINGS = {
    "request_digest": "request_digest_differs",
    "signature": "request_not_signed_by_reader",
    "request": "request_other_read",
}


def _check_chunk(
    columns: tuple[str, ...], rows: list[tuple[Any, ...]], chain_id: int, access_trail: str
) -> list[tuple[int, int, str, dict[str, Any]]]:
    """Hash and signature checks of events given as raw rows (in a worker process, so the rows are
    turned into content there): (check, seq, finding code, its vars) for each failure."""
    out: list[tuple[int, int, str, dict[str, Any]]] = []
    for row in rows:
        event = SimpleNamespace(**dict(zip(columns, row, strict=True)))
        content = event_content(event)  # type: ignore[arg-type]
        if content_hash(content) != event.event_hash:
            out.append((3, event.seq, "event_hash_differs", {}))
        try:
            check_request({**content, "request": json.loads(event.request)}, chain_id=chain_id, access_trail=access_trail)
        except TrailInvalid as exc:
            out.append((4, event.seq, REQUEST_FINDINGS.get(exc.reason, "request_malformed"), {"detail": exc.reason}))
        except (KeyError, TypeError, ValueError) as exc:
            out.append((4, event.seq, "request_malformed", {"detail": type(exc).__name__}))
    return out


class Auditor:
    def __init__(
        self,
        store: RecordStore,
        indexer: Indexer,
        *,
        grace: float = 30.0,
        interval: float = 1.0,
        workers: int = 2,
        progress: Progress = lambda _what, _done, _total: None,
    ) -> None:
        self.store, self.indexer = store, indexer
        self.c: Contracts = store.c
        self.body = "0x" + store.body.hex()
        self.deadline = grace + interval
        self.workers, self.progress = workers, progress
        self._timestamps: dict[int, int] = {}
        self._ix: dict[str, dict[Any, Any]] = {}

    def run(self) -> AuditReport:
        started = time.perf_counter()
        report = AuditReport(self.body, dt.datetime.now(dt.UTC))
        self.indexer.sync()
        report.records = self._records(report.checks[1])
        self._trail(report)
        report.finished_at = dt.datetime.now(dt.UTC)
        report.seconds = time.perf_counter() - started
        return report

    # ------------------------------------------------------------------ 1. records

    def _records(self, check: Check) -> int:
        """Checks every version; the number of records."""
        with Session(self.store.engine) as s:
            rows = s.exec(
                select(
                    col(Record.record_id),
                    col(Record.status),
                    col(RecordVersion.version),  # type: ignore[call-overload]
                    col(RecordVersion.commitment),
                    col(RecordVersion.anchor_state),
                )
                .join(RecordVersion, col(RecordVersion.record_id) == col(Record.record_id))
                .where(Record.body == self.body)
                .order_by(col(Record.record_id), col(RecordVersion.version))
            ).all()
        pending = erased = 0
        for i, (record_id, status, version, commitment, anchor_state) in enumerate(rows):
            self.progress("records", i + 1, len(rows))
            item = f"{record_id} v{version}"
            if str(status) == "erased":
                erased += 1
                continue
            rid = bytes(HexBytes(record_id))
            on_chain = hex32(self.c.records.commitment_of(rid, version))
            if int(on_chain, 16) == 0:
                if str(anchor_state) == "pending":
                    pending += 1
                    continue
                check.fail("record", item, "commitment_missing")
                continue
            check.checked += 1
            if on_chain != commitment:
                check.fail("record", item, "commitment_differs")
                continue
            try:
                self.store.read(rid, version)
            except LedgerError as exc:
                check.fail("record", item, "record_unreadable", detail=exc.message)
            except Exception as exc:  # noqa: BLE001 — an authentication failure of AES-GCM, a malformed payload
                check.fail("record", item, "record_unreadable", detail=type(exc).__name__)
        if erased:
            check.notes.append(f"{erased} version(s) of erased records skipped (crypto-shredded)")
        if pending:
            check.notes.append(f"{pending} version(s) not anchored yet")
        return len({r[0] for r in rows})

    # -------------------------------------------------------------------- trail

    def _trail(self, report: AuditReport) -> None:
        c2, c3, c4 = report.checks[2], report.checks[3], report.checks[4]
        with Session(self.store.engine) as s:  # the index's view of grants, small next to the trail
            self._ix = {
                "grants": {g.grant_id: g for g in s.exec(select(IxGrant)).all()},
                "requests": {r.request_id: r for r in s.exec(select(IxRequest)).all()},
                "emergencies": {em.emergency_id: em for em in s.exec(select(IxEmergency)).all()},
            }
            self._needs_consent: dict[str, bool] = {}
            total = int(s.exec(select(func.count()).select_from(AccessEvent).where(AccessEvent.body == self.body)).one())
        self._history = ChainHistory(self.c)  # members, erasures and consent, as the chain's logs hold them
        self._sealed = {(int(x["target"]), int(x["targetId"])) for x in self.c.seals.handle.logs("Sealed")}
        self._before_verdict = 0
        self._body_id = bytes.fromhex(self.body[2:])
        self._grants_at: dict[tuple[int, bool], Grant | None] = {}
        self._codes: dict[str, bytes] = {}
        report.events = total
        walk = _Walk(*self._anchors(c3))
        report.anchored_through = walk.anchored_through
        chain_id, access_trail = self.c.chain.chain_id, self.c.trail.handle.address
        futures = []
        spawn = multiprocessing.get_context("spawn")  # safe beside the API's threads
        with ProcessPoolExecutor(self.workers, mp_context=spawn) if self.workers > 1 else ThreadPoolExecutor(1) as pool:
            done = 0
            for rows in _events(self.store, self.body):
                for e in rows:
                    self._walk(e, walk, c3)
                    self._grant(e, c2, report)
                columns = tuple(rows[0]._fields)
                raw = [tuple(r) for r in rows]
                for i in range(0, len(raw), CHUNK):  # hashes and signatures, in the workers
                    futures.append(pool.submit(_check_chunk, columns, raw[i : i + CHUNK], chain_id, access_trail))
                done += len(rows)
                self.progress("trail", done, total)
            for f in futures:
                for number, seq, code, detail in f.result():
                    (c3 if number == 3 else c4).fail("event", seq, code, **detail)
        if walk.expected - 1 < walk.anchored_through:
            c3.fail("event", walk.expected, "trail_short", anchored=walk.anchored_through, held=walk.expected - 1)
        c2.checked = c3.checked = c4.checked = total
        if self._before_verdict:
            c2.notes.append(
                f"{self._before_verdict} read(s) under emergency declarations later reviewed as "
                "unjustified, made before the verdict"
            )

    def _anchors(self, check: Check) -> tuple[dict[int, dict[str, Any]], int]:
        """The chain's anchors of this body by last sequence number, and the last anchored; each must be
        contiguous with the previous and recorded in this database as the chain holds it."""
        anchors = chain_anchors(self.c, bytes(HexBytes(self.body)))
        try:
            anchored_through = check_contiguous(anchors)
        except TrailInvalid as exc:
            check.fail("anchors", "", "anchors_not_contiguous", detail=exc.message)
            anchored_through = 0
        with Session(self.store.engine) as s:
            # a prepared row is one the worker has sent or is about to: mined but not yet settled, it is
            # the chain's anchor as this database committed to it before sending (not a finding)
            rows = {
                r.first_seq: r
                for r in s.exec(
                    select(TrailAnchor).where(
                        TrailAnchor.body == self.body, col(TrailAnchor.state).in_(("anchored", "prepared"))
                    )
                ).all()
            }
        for a in anchors:
            mine = rows.pop(a["firstSeq"], None)
            if mine is None or (mine.last_seq, mine.root) != (a["lastSeq"], a["root"]):
                check.fail("anchor", f"{a['firstSeq']}..{a['lastSeq']}", "anchor_not_recorded")
        for first, row in rows.items():
            if row.state == "anchored":
                check.fail("anchor", f"{first}..{row.last_seq}", "anchor_not_on_chain")
        check.notes.append(f"{len(anchors)} anchor(s) on-chain, through event {anchored_through}")
        return {a["lastSeq"]: a for a in anchors}, anchored_through

    def _walk(self, e: Any, w: _Walk, check: Check) -> None:
        """One event in sequence order: no gap, its subject's chain, its anchor's root, its deadline."""
        if e.seq != w.expected:
            if e.seq > w.expected:
                check.fail("event", w.expected, "event_missing", before=w.expected - 1, seq=e.seq)
            else:
                check.fail("event", w.expected, "event_out_of_order", seq=e.seq)
        w.expected = e.seq + 1
        chain = (e.subject_id, e.seal_id)  # the subject's open chain, or their chain under one seal
        if e.subject_prev != w.last_of_subject.get(chain, 0):
            check.fail("event", e.seq, "subject_chain_broken")
        w.last_of_subject[chain] = e.seq
        if e.seq > w.anchored_through:
            self._check_deadline(e, check)
            return
        w.batch.append(e)
        if e.seq in w.by_last:  # the anchor ends here: its root must recompute from the stored events
            self._check_anchor(w.by_last[e.seq], w.batch, check)
            w.batch = []

    def _check_anchor(self, anchor: dict[str, Any], events: list[AccessEvent], check: Check) -> None:
        first, last = anchor["firstSeq"], anchor["lastSeq"]
        item = f"{first}..{last}"
        if [e.seq for e in events] != list(range(first, last + 1)):
            check.fail("anchor", item, "anchor_events_missing")
            return
        root = events[0].event_hash if anchor["kind"] == "event" else batch_root(events)
        if root != anchor["root"]:
            check.fail("anchor", item, "anchor_root_differs")

    def _check_deadline(self, e: AccessEvent, check: Check) -> None:
        if time.time() - e.at.timestamp() > self.deadline:
            check.fail("event", e.seq, "anchor_overdue", seconds=round(self.deadline))

    # ----------------------------------------------------------------- 2. grants

    def _seal(self, e: AccessEvent, check: Check) -> None:
        """A sealed read was sealed on-chain at its block, and a read under a sealed grant or emergency was
        written as sealed: asked of the chain only for the events of targets ever sealed (few)."""
        target = (2, e.emergency_id) if e.emergency_id else (1, e.grant_id) if e.grant_id else None
        if not e.seal_id and (target is None or target not in self._sealed):
            return
        on_chain = int(self.c.seals.handle.view("sealInForce", *target, block=e.block)) if target else 0
        if on_chain != e.seal_id:
            check.fail("event", e.seq, "seal_differs", written=e.seal_id, on_chain=on_chain)

    def _grant(self, e: AccessEvent, check: Check, report: AuditReport) -> None:
        """The access rule (:func:`ledger.access.rule.decide`) at the event's block, from the chain's history."""
        self._seal(e, check)
        fields = json.loads(e.fields)
        try:
            mask = self.store.mask(e.category, fields)
        except LedgerError:
            check.fail("event", e.seq, "fields_unknown", fields=", ".join(fields), category=e.category)
            return
        h, block = self._history, e.block
        reader_body, roles = h.member_at(e.reader, block)
        if hex32(reader_body) != e.reader_body.lower():
            check.fail("event", e.seq, "reader_body_differs")
            return
        record_id, subject = bytes.fromhex(e.record_id[2:]), bytes.fromhex(e.subject_id[2:])
        em = self._ix["emergencies"].get(e.emergency_id) if e.emergency_id else None
        grant = self._grant_at(e.grant_id, block) if e.grant_id else None
        if grant is not None:
            post, assignment = h.grant_post(e.grant_id)
            grant = dataclasses.replace(grant, post=post, assignment=assignment)
        has_grids = h.has_grids_at(reader_body, block)
        facts = ChainFacts(  # the block's time only where the rule asks it (grants, emergencies, posts): an RPC per block
            now=self._timestamp(block) if e.grant_id or e.emergency_id or has_grids else 0,
            reader_body=reader_body,
            reader_roles=roles,
            record=RecordFacts(
                custodian=self._body_id,
                subject=subject,
                category=self._code(e.category),
                active=not h.erased_by(record_id, block),
            ),
            grant=grant,
            emergency=emergency_at(em, block),
            consent=h.consent_at(e.grant_id, subject, block) if e.grant_id else ConsentState.NONE,
            requires_consent=self._requires_consent(e.category),
            reader_assignment=h.current_assignment_at(e.reader, block),
            body_has_grids=has_grids,
            subject_grid=h.grid_in_at(subject, reader_body, block),
            grant_assignment=h.assignment_at(grant.assignment, block) if grant and grant.assignment else None,
        )
        decision = decide(
            ReadAsked(
                reader=e.reader,
                record_id=record_id,
                fields=mask,
                purpose=self._code(e.purpose),
                grant_id=e.grant_id,
                emergency_id=e.emergency_id,
            ),
            facts,
        )
        if e.emergency_id:
            self._emergency(e, em, decision, check, report)
        elif not decision.allowed:
            if e.grant_id:
                check.fail("event", e.seq, "grant_refused", grant=e.grant_id, why=decision.name)
            else:
                check.fail("event", e.seq, "no_grant", why=decision.name)

    def _emergency(
        self, e: AccessEvent, em: IxEmergency | None, decision: Decision, check: Check, report: AuditReport
    ) -> None:
        if decision is Decision.PURPOSE_MISMATCH and em is not None:
            declared = code_name(bytes(HexBytes(em.purpose)))
            check.fail("event", e.seq, "emergency_purpose", emergency=e.emergency_id, purpose=e.purpose, declared=declared)
        elif decision is Decision.EXPIRED:
            check.fail("event", e.seq, "emergency_expired", emergency=e.emergency_id)
        elif not decision.allowed:
            check.fail("event", e.seq, "emergency_refused", emergency=e.emergency_id, why=decision.name)
        elif em is None or em.reviewed_at is None:
            check.fail("event", e.seq, "emergency_unreviewed", emergency=e.emergency_id)
            report.unreviewed_emergencies.append(
                {"seq": e.seq, "emergencyId": e.emergency_id, "reader": e.reader, "at": e.at.isoformat()}
            )
        elif not em.justified:
            self._before_verdict += 1

    def _grant_at(self, grant_id: int, block: int) -> Grant | None:
        """The grant as the chain held it after ``block``; built once per (grant, state) and reused."""
        g = self._ix["grants"].get(grant_id)
        if g is None or g.created_block > block:
            return None
        key = (grant_id, g.revoked_block is not None and g.revoked_block <= block)
        if key not in self._grants_at:
            self._grants_at[key] = grant_at(g, self._ix["requests"].get(g.request_id), block)
        return self._grants_at[key]

    def _code(self, code: str) -> bytes:
        if code not in self._codes:
            self._codes[code] = code_id(code)
        return self._codes[code]

    def _requires_consent(self, category: str) -> bool:
        """Whether the category needs consent (as the chain says now: changes of it are rare and logged)."""
        if category not in self._needs_consent:
            self._needs_consent[category] = self.c.records.get_category(code_id(category)).requires_consent
        return self._needs_consent[category]

    def _timestamp(self, block: int) -> int:
        if block not in self._timestamps:
            found = self.c.chain.blocks.block(block)
            if found is None:
                raise ChainUnavailable(f"block {block} is not on the chain (any more)")
            self._timestamps[block] = found.timestamp
        return self._timestamps[block]


@dataclass
class _Walk:
    """Where the walk through the trail is."""

    by_last: dict[int, dict[str, Any]]
    anchored_through: int
    expected: int = 1
    last_of_subject: dict[tuple[str, int], int] = field(default_factory=dict)
    batch: list[Any] = field(default_factory=list)
