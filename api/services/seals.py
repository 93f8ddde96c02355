"""Seals over covert reads: what each seat sees of them, the auditors' statistics across the nodes, and the
seal, extension and release prepared for the person to sign.

The sealing body sees its own seals whole (its case reference at its own node); an oversight body sees every
seal's case hash, body and ages, never what it covers; auditors see everything, and how many reads each body
has hidden now, counted at every node from the auditor body's node."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Literal

from pydantic import ValidationError

from api.deps import Actor, Node
from api.schemas.seals import (
    NodeSealReads,
    NodeSealsOut,
    SealBodyStats,
    SealExtendIn,
    SealIn,
    SealOut,
    SealSource,
    SealsOut,
    SealStatsOut,
)
from api.schemas.tx import Prepared
from api.services.access import kept_text
from api.services.consortium import status_of
from api.services.transactions import prepare
from ledger.chain.seals import Seal, Target
from ledger.chain.views import bodies_at
from ledger.errors import NotFound
from ledger.ids import BodyKind, Role, code_id, code_name, salted_hash
from ledger.peers.gather import active_bodies, ask_all

DAY = 86_400.0
TARGETS: dict[Target, Literal["grant", "emergency"]] = {Target.GRANT: "grant", Target.EMERGENCY: "emergency"}


def _kind(node: Node, body: str | None) -> BodyKind | None:
    return bodies_at(node.questions, [code_id(body)])[0].kind if body else None


def _state(s: Seal, now: int) -> str:
    return "sealed" if s.in_force(now) else "released" if s.released_at else "ended"


def reads_here(node: Node) -> Counter[int]:
    """Reads written under each seal at this node."""
    counts: Counter[int] = Counter()
    for seal_id, _reader_body, n, _first in node.trail.sealed():
        counts[seal_id] += n
    return counts


def seals_out(node: Node, actor: Actor) -> SealsOut:
    """The seals ``actor`` may see: every one for auditors and oversight bodies, their own for a sealing body, none
    for anyone else (their seat says so, so a page knows whether it has a seals card without a refusal)."""
    kind = _kind(node, actor.body)
    auditor, oversight = Role.AUDITOR in actor.roles, kind == BodyKind.OVERSIGHT
    sealer = actor.body is not None and node.contracts.seals.is_sealer(code_id(actor.body))
    now = node.chain.timestamp()
    seat = "auditor" if auditor else "oversight" if oversight else "sealer" if sealer else "none"
    if seat == "none":
        return SealsOut(now=now, seat="none", seals=[])
    here = reads_here(node)
    out = []
    for s in node.contracts.seals.all():
        own = code_name(s.body) == actor.body
        if not (auditor or oversight or own):
            continue
        whole = auditor or own  # an oversight body sees the case hash, the body and the ages only
        ended = s.ended_at()
        out.append(
            SealOut(
                id=s.id,
                body=code_name(s.body),
                target=TARGETS[s.target] if whole else None,
                targetId=s.target_id if whole else None,
                caseHash="0x" + s.case_hash.hex(),
                case=kept_text(node, s.case_hash) if whole and node.body == code_name(s.body) else None,
                placedAt=s.placed_at,
                until=s.until,
                releasedAt=s.released_at or None,
                extensions=s.extensions,
                state=_state(s, now),  # type: ignore[arg-type]
                ageDays=round((min(now, ended) - s.placed_at) / DAY, 2),
                daysLeft=round((s.until - now) / DAY, 2) if s.in_force(now) else None,
                readsHere=here.get(s.id, 0),
            )
        )
    return SealsOut(now=now, seat=seat, seals=out)  # type: ignore[arg-type]


def node_reads(node: Node) -> NodeSealsOut:
    """This node's reads under each seal, for the auditor's (or an oversight body's) node."""
    return NodeSealsOut(
        custodian=node.body,
        reads=[
            NodeSealReads(sealId=i, readerBody=code_name(bytes.fromhex(b[2:])), reads=n)
            for i, b, n, _ in node.trail.sealed()
        ],
    )


def stats(node: Node) -> SealStatsOut:
    """Per sealing body: seals in force, ended and extended, their ages, and the reads they hide now, counted at
    every node when this is the auditor body's node (this node's alone elsewhere)."""
    now = node.chain.timestamp()
    seals = node.contracts.seals.all()
    in_force = {s.id for s in seals if s.in_force(now)}
    consortium = _kind(node, node.body) == BodyKind.AUDITOR
    counts: Counter[int] = Counter(reads_here(node))
    sources = [SealSource(body=node.body, status="answered")]
    if consortium:
        others = [b for b in active_bodies(node.questions, node.indexer.body_ids()) if b != node.store.body]
        for a in ask_all(node.peers, others, "/node/seals", {}):
            name = code_name(a.body)
            if not a.ok:
                sources.append(SealSource(body=name, status=status_of(a), error=a.error))
                continue
            try:
                answer = NodeSealsOut.model_validate(a.data)
            except ValidationError:
                answer = None
            if answer is None or answer.custodian != name:
                sources.append(SealSource(body=name, status="unreachable", error="answered something that is not its seals"))
                continue
            sources.append(SealSource(body=name, status="answered"))
            for r in answer.reads:
                counts[r.sealId] += r.reads
    return SealStatsOut(
        scope="consortium" if consortium else "node",
        now=now,
        bodies=[
            _body_stats(code_name(b), [s for s in seals if s.body == b], in_force, counts, now)
            for b in dict.fromkeys(s.body for s in seals)
        ],
        sources=sources,
    )


def _body_stats(body: str, seals: list[Seal], in_force: set[int], counts: Counter[int], now: int) -> SealBodyStats:
    live = [s for s in seals if s.id in in_force]
    ages = sorted((now - s.placed_at) / DAY for s in live)
    return SealBodyStats(
        body=body,
        sealed=len(live),
        ended=len(seals) - len(live),
        extended=sum(1 for s in live if s.extensions),
        readsSealed=sum(counts.get(s.id, 0) for s in live),
        oldestDays=round(ages[-1], 2) if ages else None,
        medianDays=round(statistics.median(ages), 2) if ages else None,
    )


def _seal_of(node: Node, seal_id: int) -> Seal:
    if not 1 <= seal_id <= node.contracts.seals.count():
        raise NotFound(f"there is no seal {seal_id}", error="UnknownSeal")
    return node.contracts.seals.get(seal_id)


def place(node: Node, actor: Actor, body: SealIn) -> Prepared:
    """A seal over the actor's body's grant or emergency, prepared for them to sign; the case reference is kept
    here once the chain would accept it."""
    case, salt = salted_hash(body.caseReference)
    target = Target.GRANT if body.target == "grant" else Target.EMERGENCY
    return prepare(
        node,
        actor,
        node.contracts.seals.handle,
        "seal",
        int(target),
        body.targetId,
        case,
        body.until,
        summary=f"seal the reads of {body.target} {body.targetId}",
        salts={"case": salt},
        texts={"case": ("case", body.caseReference)},
    )


def extend(node: Node, actor: Actor, seal_id: int, body: SealExtendIn) -> Prepared:
    _seal_of(node, seal_id)
    reason, salt = salted_hash(body.reason)
    return prepare(
        node,
        actor,
        node.contracts.seals.handle,
        "extend",
        seal_id,
        body.until,
        reason,
        summary=f"extend seal {seal_id}",
        salts={"reason": salt},
        texts={"reason": ("reason", body.reason)},
    )


def release(node: Node, actor: Actor, seal_id: int) -> Prepared:
    _seal_of(node, seal_id)
    return prepare(node, actor, node.contracts.seals.handle, "release", seal_id, summary=f"release seal {seal_id}")
