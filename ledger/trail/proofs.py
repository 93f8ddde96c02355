"""Batch trees, inclusion proofs, and subjects' trail bundles, verified against the chain alone.

A batch's tree is an OpenZeppelin StandardMerkleTree over ``(uint64 seq, bytes32 eventHash)``
for each event of the batch; its root is what ``AccessTrail.anchorBatch`` anchors. An event
anchored alone ("immediate") has the event hash itself on-chain and an empty proof.

A trail bundle (``civic-ledger/trail@1``) holds one subject's events at one body, with each
event's proof, the anchors holding them, and the node's signed head (the subject's last sequence number and event
count). :func:`verify_trail`
checks it with nothing but the chain:

1. the chain's anchors of the body are contiguous from 1, and the bundle's anchors are them;
2. each event's hash recomputes from its content, its read request's EIP-712 digest and the
   reader's signature verify, and the request names what the event says was read;
3. each anchored event's proof leads to its anchor's root;
4. the events chain: the first has no predecessor, each names the one before it, and the
   last is the head's, which the body's anchor account signed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from ledger.access.reads import message_digest, recover_digest
from ledger.chain.deploy import Contracts
from ledger.commitments.merkle import StandardMerkleTree, leaf_hash, process_proof
from ledger.errors import TrailInvalid
from ledger.ids import Role, code_id, code_name
from ledger.store.models import AccessEvent
from ledger.store.trail import Trail, content_hash, event_content
from ledger.trail import receipts

LEAF_TYPES = ("uint64", "bytes32")
SCHEMA = "civic-ledger/trail@1"


def _b32(value: str) -> bytes:
    raw = bytes(HexBytes(value))
    if len(raw) != 32:
        raise ValueError(f"{value!r} is not 32 bytes")
    return raw


def batch_tree(events: Sequence[AccessEvent]) -> StandardMerkleTree:
    return StandardMerkleTree([(e.seq, _b32(e.event_hash)) for e in events], LEAF_TYPES)


def batch_root(events: Sequence[AccessEvent]) -> str:
    return "0x" + batch_tree(events).root.hex()


def proof_of(events: Sequence[AccessEvent], seq: int) -> list[str]:
    """The inclusion proof of event ``seq`` in the batch made of ``events``."""
    index = next(i for i, e in enumerate(events) if e.seq == seq)
    return ["0x" + p.hex() for p in batch_tree(events).proof(index)]


def leaf_root(seq: int, event_hash: str, proof: Sequence[str]) -> str:
    return "0x" + process_proof(leaf_hash(LEAF_TYPES, (seq, _b32(event_hash))), [_b32(p) for p in proof]).hex()


def event_json(event: AccessEvent) -> dict[str, Any]:
    """An event as a bundle carries it: its hashed content, the signed request, and the hash."""
    return {**event_content(event), "request": json.loads(event.request), "eventHash": event.event_hash}


# --------------------------------------------------------------------- verifying


@dataclass
class TrailReport:
    subject: str
    custodian: str
    events: int = 0
    anchored: int = 0
    pending: list[int] = field(default_factory=list)  # events after the chain's last anchor
    anchored_through: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": True,
            "subject": self.subject,
            "custodian": self.custodian,
            "events": self.events,
            "anchored": self.anchored,
            "pending": self.pending,
            "anchoredThrough": self.anchored_through,
        }


def chain_anchors(contracts: Contracts, body: bytes, from_block: int = 0) -> list[dict[str, Any]]:
    """The body's anchors as the chain's logs hold them, by first sequence number."""
    handle = contracts.trail.handle
    found = [
        {
            "firstSeq": int(e["firstSeq"]),
            "lastSeq": int(e["lastSeq"]),
            "root": "0x" + bytes(e["root"]).hex(),
            "kind": "batch",
            "transactionHash": HexBytes(e["transactionHash"]).to_0x_hex(),
            "blockNumber": int(e["blockNumber"]),
        }
        for e in handle.logs("AccessBatchAnchored", from_block=from_block, body=body)
    ]
    found += [
        {
            "firstSeq": int(e["seq"]),
            "lastSeq": int(e["seq"]),
            "root": "0x" + bytes(e["eventHash"]).hex(),
            "kind": "event",
            "transactionHash": HexBytes(e["transactionHash"]).to_0x_hex(),
            "blockNumber": int(e["blockNumber"]),
        }
        for e in handle.logs("AccessEventAnchored", from_block=from_block, body=body)
    ]
    return sorted(found, key=lambda a: a["firstSeq"])


def check_contiguous(anchors: Sequence[dict[str, Any]]) -> int:
    """The last anchored sequence; raises unless the anchors run 1, 2, ... without gap or overlap."""
    expected = 1
    for a in anchors:
        if a["firstSeq"] != expected or a["lastSeq"] < a["firstSeq"]:
            raise TrailInvalid(
                f"anchors are not contiguous: expected one starting at {expected}, found {a['firstSeq']}..{a['lastSeq']}",
                reason="anchor_gap",
            )
        expected = a["lastSeq"] + 1
    return expected - 1


def check_request(e: dict[str, Any], *, chain_id: int, access_trail: str) -> None:
    """The event's signed read request: digest, reader's signature, and that it asked for what was read."""
    seq = e.get("seq")
    signed = message_digest(e["request"], chain_id=chain_id, verifying_contract=access_trail)
    if "0x" + signed.hex() != e["requestDigest"]:
        raise TrailInvalid(f"event {seq}: its read request does not match its digest", reason="request_digest")
    if recover_digest(signed, e["signature"]).lower() != str(e["reader"]).lower():
        raise TrailInvalid(f"event {seq}: the read request is not signed by its reader", reason="signature")
    m = e["request"]
    said = (
        str(m["reader"]).lower(),
        str(m["custodian"]).lower(),
        str(m["recordId"]).lower(),
        sorted(m["fields"]),
        str(m["purpose"]).lower(),
        int(m["grantId"]),
        int(m["emergencyId"]),
    )
    done = (
        str(e["reader"]).lower(),
        str(e["body"]).lower(),
        str(e["recordId"]).lower(),
        sorted(e["fields"]),
        "0x" + code_id(e["purpose"]).hex(),
        int(e["grantId"]),
        int(e["emergencyId"]),
    )
    if said != done:
        raise TrailInvalid(f"event {seq}: it records another read than its signed request asked for", reason="request")


def verify_trail(bundle: Any, contracts: Contracts) -> TrailReport:
    """Checks a trail bundle against the chain only; raises :class:`TrailInvalid` naming the failed check."""
    chain = contracts.chain
    if not isinstance(bundle, dict) or bundle.get("schema") != SCHEMA:
        raise TrailInvalid(f"not a trail bundle ({SCHEMA})", reason="malformed")
    try:
        custodian, subject = str(bundle["custodian"]).lower(), str(bundle["subject"]).lower()
        events, anchors, head = list(bundle["events"]), list(bundle["anchors"]), dict(bundle["head"])
        if int(bundle["chainId"]) != chain.chain_id:
            raise TrailInvalid(
                f"the bundle is for chain {bundle['chainId']}, the node is chain {chain.chain_id}", reason="chain"
            )
        access_trail = contracts.trail.handle.address
        body = _b32(custodian)
        report = TrailReport(subject=subject, custodian=code_name(body))
        # 1. the chain's anchors, contiguous; the bundle's (those holding its events) are the chain's
        on_chain = chain_anchors(contracts, body)
        report.anchored_through = check_contiguous(on_chain)
        by_first = {a["firstSeq"]: a for a in on_chain}
        for a in anchors:
            mine = by_first.get(int(a["firstSeq"]))
            if mine is None or (mine["lastSeq"], mine["root"]) != (int(a["lastSeq"]), str(a["root"]).lower()):
                raise TrailInvalid(
                    f"anchor {a['firstSeq']}..{a['lastSeq']} is not on-chain as the bundle says", reason="anchor"
                )
        starts = sorted(by_first)
        previous = 0  # the bundle's last event
        chains: dict[int, int] = {}  # the last event of each chain: the open one (0), and one per seal
        for e in sorted(events, key=lambda e: int(e["seq"])):
            seq = int(e["seq"])
            # 2. content, request, signature
            content = {k: v for k, v in e.items() if k not in ("request", "eventHash", "proof")}
            if content_hash(content) != str(e["eventHash"]).lower():
                raise TrailInvalid(f"event {seq}: its hash does not match its content", reason="event_hash")
            if str(e["body"]).lower() != custodian or str(e["subjectId"]).lower() != subject:
                raise TrailInvalid(f"event {seq} is of another body or subject", reason="foreign_event")
            check_request(e, chain_id=chain.chain_id, access_trail=access_trail)
            # 4. the subject's chain of events: the open one, or that of the seal it was read under
            seal = int(e.get("sealId", 0))
            if int(e["subjectPrev"]) != chains.get(seal, 0):
                raise TrailInvalid(
                    f"event {seq} follows the subject's event {e['subjectPrev']}, but the bundle's "
                    f"previous event{f' under seal {seal}' if seal else ''} is {chains.get(seal, 0) or 'none'}: "
                    "an event is missing or added",
                    reason="subject_chain",
                )
            chains[seal] = previous = seq
            report.events += 1
            # 3. the proof into its anchor
            if seq > report.anchored_through or e.get("proof") is None:
                # not anchored yet, or anchored a moment ago and not yet settled at the node (no proof given):
                # pending, never counted as anchored
                report.pending.append(seq)
                continue
            first = max(s for s in starts if s <= seq)
            anchor = by_first[first]
            root = e["eventHash"] if anchor["kind"] == "event" else leaf_root(seq, e["eventHash"], e.get("proof") or [])
            if str(root).lower() != anchor["root"]:
                raise TrailInvalid(f"event {seq}: its proof does not lead to the root anchored on-chain", reason="proof")
            report.anchored += 1
        msg = head["message"]
        if (
            (str(msg["custodian"]).lower(), str(msg["subject"]).lower()) != (custodian, subject)
            or int(msg["lastSeq"]) != previous
            or int(msg["count"]) != report.events
        ):
            raise TrailInvalid(
                f"the node's signed head says the trail ends at event {msg['lastSeq']} with "
                f"{msg['count']} events; the bundle ends at {previous or 'none'} with {report.events}",
                reason="head",
            )
        signer = receipts.signer(
            "TrailHead", msg, head["signature"], chain_id=chain.chain_id, verifying_contract=access_trail
        )
        member_body, roles = contracts.bodies.member_of(signer)
        if bytes(member_body) != body or not Role(roles) & Role.ANCHOR:
            raise TrailInvalid(f"the head is signed by {signer}, not by an anchor account of the body", reason="head")
    except TrailInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as exc:
        raise TrailInvalid(f"malformed trail bundle: {exc!r}", reason="malformed") from None
    return report


def head_message(custodian: bytes, subject: str, events: Sequence[AccessEvent]) -> dict[str, Any]:
    return {
        "custodian": "0x" + custodian.hex(),
        "subject": subject,
        "lastSeq": events[-1].seq if events else 0,
        "count": len(events),
        "issuedAt": int(time.time()),
    }


def _anchor_json(a: Any) -> dict[str, Any]:
    return {
        "firstSeq": a.first_seq,
        "lastSeq": a.last_seq,
        "root": a.root,
        "kind": a.kind,
        "transactionHash": a.tx_hash,
        "blockNumber": a.block,
    }


def _signed(contracts: Contracts, signer: LocalAccount, head: dict[str, Any]) -> dict[str, Any]:
    """What every trail answer starts with: chain, contracts, and the node's signed head."""
    chain = contracts.chain
    access_trail = contracts.trail.handle.address
    return {
        "chainId": chain.chain_id,
        "contracts": {"AccessTrail": access_trail, "BodyRegistry": contracts.bodies.handle.address},
        "custodian": head["custodian"],
        "subject": head["subject"],
        "head": {
            "message": head,
            "signature": receipts.sign(signer, "TrailHead", head, chain_id=chain.chain_id, verifying_contract=access_trail),
        },
    }


def build_trail(
    trail: Trail, contracts: Contracts, signer: LocalAccount, subject: str, *, hidden: Collection[int] = ()
) -> dict[str, Any]:
    """The trail bundle of ``subject`` at ``trail``'s body: events, proofs, anchors, signed head; none of the
    reads under the seals ``hidden`` (in force now), and the head counts only what is shown."""
    events = trail.events(subject_id=subject, limit=1_000_000, hidden=hidden)
    anchor_of = trail.anchors_of([e.seq for e in events])
    trees: dict[int, list[AccessEvent]] = {}
    out = []
    for e in events:
        item = {**event_json(e), "proof": None}  # null until anchored
        a = anchor_of.get(e.seq)
        if a is not None:
            if a.kind == "batch":
                if a.first_seq not in trees:
                    trees[a.first_seq] = trail.between(a.first_seq, a.last_seq)
                item["proof"] = proof_of(trees[a.first_seq], e.seq)
            else:
                item["proof"] = []
        out.append(item)
    anchors = sorted({a.first_seq: a for a in anchor_of.values()}.values(), key=lambda a: a.first_seq)
    head = head_message(bytes(HexBytes(trail.body)), subject, events)
    return {
        "schema": SCHEMA,
        **_signed(contracts, signer, head),
        "events": out,
        "anchors": [_anchor_json(a) for a in anchors],
    }


EVENT_SCHEMA = "civic-ledger/trail-event@1"


def event_material(
    trail: Trail, contracts: Contracts, signer: LocalAccount, subject: str, seq: int, *, hidden: Collection[int] = ()
) -> dict[str, Any] | None:
    """What a browser needs to verify one of ``subject``'s events alone: the event with its signed
    request and proof, its anchor, and the node's signed head of the subject's trail (which must
    reach at least this event). None if ``seq`` is not the subject's event here."""
    event = trail.get(seq)
    if event is None or event.subject_id != subject or event.seal_id in hidden:
        return None
    item = {**event_json(event), "proof": None}  # null until anchored
    anchor = trail.anchors_of([seq]).get(seq)
    if anchor is not None:
        item["proof"] = proof_of(trail.between(anchor.first_seq, anchor.last_seq), seq) if anchor.kind == "batch" else []
    [last] = trail.latest(subject_id=subject, limit=1, hidden=hidden)
    head = {
        "custodian": trail.body,
        "subject": subject,
        "lastSeq": last.seq,
        "count": trail.count_of(subject, hidden=hidden),
        "issuedAt": int(time.time()),
    }
    return {
        "schema": EVENT_SCHEMA,
        **_signed(contracts, signer, head),
        "event": item,
        "anchor": _anchor_json(anchor) if anchor is not None else None,
    }
