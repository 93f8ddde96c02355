"""The watchdog at a node: its own trail's alerts, or (at the auditor body's node) every node's, with the
auditors' reviews from the chain; and a review prepared for an auditor to sign."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any

from eth_utils import to_checksum_address
from pydantic import BaseModel, Field, ValidationError

from api.deps import Actor, Node
from api.schemas.tx import Prepared
from api.schemas.watchdog import AlertOut, AlertReviewIn, EventRef, ReviewOut, WatchdogOut
from api.services.access import kept_text, may_read_texts
from api.services.consortium import require_auditors_node
from api.services.transactions import prepare
from ledger.audit.history import ChainHistory
from ledger.errors import Conflict, NotAuthorized, NotFound
from ledger.ids import code_name, hex32, salted_hash
from ledger.peers.gather import active_bodies, ask_all
from ledger.watchdog.alerts import Alert, Thresholds
from ledger.watchdog.reviews import Review, Verdict, latest_reviews
from ledger.watchdog.runner import HistoryView, watch
from ledger.watchdog.source import PAGE, mirror, mirrored_events, mirrored_through, own_events

#: How long the auditor's node waits for a node's page of events, seconds; and the most pages per run.
TIMEOUT, MAX_PAGES = 30.0, 200

_mirroring = threading.Lock()


class WatchedIn(BaseModel):
    """One event of another node's page, as the auditor's node stores it (checked before it is)."""

    seq: int = Field(ge=1)
    reader: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    readerBody: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    subjectId: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    at: dt.datetime
    grantId: int = Field(ge=0)
    emergencyId: int = Field(ge=0)
    block: int = Field(ge=0)


class WatchedPage(BaseModel):
    custodian: str
    events: list[WatchedIn] = Field(max_length=PAGE)


@dataclasses.dataclass
class Run:
    scope: str
    events: int
    alerts: list[Alert]
    sources: dict[str, str]


def _sync_mirror(node: Node) -> dict[str, str]:
    """Brings the mirror up to every node's trail: each node's events after the last one held."""
    own = node.store.body
    others = [b for b in active_bodies(node.questions, node.indexer.body_ids()) if b != own]
    state: dict[str, str] = {}
    with _mirroring:
        for _ in range(MAX_PAGES):
            held = mirrored_through(node.engine)
            asking = [b for b in others if code_name(b) not in state]
            if not asking:
                break
            answers = [
                (b, ask_all(node.peers, [b], "/node/watchdog/events", {"after": held.get(hex32(b), 0)}, timeout=TIMEOUT)[0])
                for b in asking
            ]
            for b, a in answers:
                name = code_name(b)
                if not a.ok:
                    state[name] = "unreachable" if a.published else "no_node"
                    continue
                try:
                    page = WatchedPage.model_validate(a.data)
                except ValidationError:
                    state[name] = "unreachable"
                    continue
                after = held.get(hex32(b), 0)
                if page.custodian != name or [e.seq for e in page.events] != list(
                    range(after + 1, after + 1 + len(page.events))
                ):
                    state[name] = "unreachable"  # not its own trail, or not the events after the last held
                    continue
                mirror(node.engine, hex32(b), [e.model_dump(mode="json") for e in page.events])
                if len(page.events) < PAGE:
                    state[name] = "answered"
    return state


def run(node: Node, days: int, *, consortium: bool) -> Run:
    """The rules over this node's trail, or over every node's (the auditor body's node only)."""
    t = Thresholds.of(node.settings)
    now = dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=t.history_days + days)
    if consortium:
        require_auditors_node(node, "the watchdog over every node's trail")
        sources = _sync_mirror(node)
        events = mirrored_events(node.engine, since) + own_events(node.engine, hex32(node.store.body), since)
        scope = "consortium"
    else:
        sources = {}
        events = own_events(node.engine, hex32(node.store.body), since)
        scope = f"node:{node.body}"
    first_day = (now.astimezone(t.zone) - dt.timedelta(days=days - 1)).date()
    alerts = watch(events, HistoryView(ChainHistory(node.contracts)), t, scope, first_day) if events else []
    return Run(scope, len(events), alerts, sources)


def is_auditors_node(node: Node) -> bool:
    try:
        require_auditors_node(node)
    except NotAuthorized:
        return False
    return True


def _state(alert: Alert, review: Review | None) -> str:
    if review is None or review.events_hash != alert.events_hash:
        return "open"
    return "acknowledged" if review.verdict == Verdict.ACKNOWLEDGED else "escalated"


def alerts_out(node: Node, actor: Actor | None, days: int, *, consortium: bool) -> WatchdogOut:
    found = run(node, days, consortium=consortium)
    reviews = latest_reviews(node.contracts)
    people = node.people.of(sorted({a.reader for a in found.alerts if a.reader} | {r.reviewer for r in reviews.values()}))
    out = []
    for a in found.alerts:
        r = reviews.get(a.id)
        review = None
        if r is not None:
            who = people.get(r.reviewer)
            review = ReviewOut(
                verdict="acknowledged" if r.verdict == Verdict.ACKNOWLEDGED else "escalated",
                reviewer=r.reviewer,
                reviewerName=who.name if who else None,
                body=code_name(r.body),
                block=r.block,
                txHash=r.tx_hash,
                eventsHash=r.events_hash,
                current=r.events_hash == a.events_hash,
                note=kept_text(node, r.note_hash) if actor and may_read_texts(actor, r.body, r.reviewer) else None,
            )
        reader_account = to_checksum_address(a.reader) if a.reader else None
        reader = people.get(reader_account) if reader_account else None
        out.append(
            AlertOut(
                id=a.id,
                rule=a.rule,  # type: ignore[arg-type]
                scope=a.scope,
                key=a.key,
                period=a.period,
                state=_state(a, r),  # type: ignore[arg-type]
                reader=reader_account,
                readerName=reader.name if reader else None,
                readerPost=reader.post if reader else None,
                readerBody=code_name(bytes.fromhex(a.reader_body[2:])) if a.reader_body else None,
                events=[EventRef(body=code_name(bytes.fromhex(b[2:])), seq=s) for b, s in sorted(a.events)],
                eventsHash=a.events_hash,
                vars=a.vars,
                review=review,
            )
        )
    node.metrics.watchdog_seen(found.scope, [(a.rule, o.state) for a, o in zip(found.alerts, out, strict=True)])
    t = Thresholds.of(node.settings)
    thresholds: dict[str, Any] = {k: v for k, v in dataclasses.asdict(t).items() if k != "office_hours"} | {
        "office_hours": node.settings.watchdog_office_hours
    }
    return WatchdogOut(
        scope=found.scope, days=days, events=found.events, thresholds=thresholds, sources=found.sources, alerts=out
    )


def review(node: Node, actor: Actor, alert_id: str, body: AlertReviewIn) -> Prepared:
    """An auditor's review of an alert raised here now, over the events they saw, prepared for them to sign."""
    found = run(node, 366, consortium=body.scope == "consortium")
    alert = next((a for a in found.alerts if a.id == alert_id.lower()), None)
    if alert is None:
        raise NotFound(f"no alert {alert_id} is raised at this node ({found.scope}) in the last year", error="UnknownAlert")
    if alert.events_hash != body.eventsHash.lower():
        raise Conflict(
            "events joined this alert since it was shown: look at it again before reviewing it", error="AlertChanged"
        )
    note, salt = salted_hash(body.note)
    verdict = Verdict.ACKNOWLEDGED if body.verdict == "acknowledged" else Verdict.ESCALATED
    return prepare(
        node,
        actor,
        node.contracts.trail.handle,
        "reviewAlert",
        bytes.fromhex(alert.id[2:]),
        bytes.fromhex(alert.events_hash[2:]),
        int(verdict),
        note,
        summary=f"{body.verdict} watchdog alert {alert.rule} {alert.period}",
        salts={"note": salt},
        texts={"note": ("note", body.note)},
    )
