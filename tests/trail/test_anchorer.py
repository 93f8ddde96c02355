"""The anchoring worker on a real chain: immediate and batched anchors continue one another,
a batch prepared before a crash is sent as prepared, and anchors missing from the database are
reported, not papered over (on rc-west's trail, which no API anchors in these systems); and a
node configured for immediate mode anchors each read in its own transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from ledger.errors import AnchorError
from ledger.local.devkeys import dev_account
from ledger.store.db import open_engine
from ledger.store.models import TrailAnchor
from ledger.store.trail import NewEvent, Trail
from ledger.trail.anchor import TrailAnchorer
from ledger.trail.proofs import batch_root, chain_anchors, check_contiguous, leaf_root, proof_of
from tests.trail.conftest import System, system

RC_WEST = b"rc-west".ljust(32, b"\0")
RC_EAST = b"rc-east".ljust(32, b"\0")
RC_WEST_NODE = 22  # the demo's anchor account of rc-west (WELL-KNOWN DEV KEY)


def events(trail: Trail, n: int) -> None:
    for _ in range(n):
        trail.append(
            NewEvent(
                reader="0x" + "11" * 20,
                reader_body="0x" + "22" * 32,
                record_id="0x" + "33" * 32,
                version=1,
                subject_id="0x" + os.urandom(32).hex(),
                category="household",
                fields=["address"],
                purpose="statistics",
                grant_id=1,
                emergency_id=0,
                block=1,
                request={},
                signature="0x",
                request_digest="0x" + os.urandom(32).hex(),
            )
        )


def test_immediate_then_batched_then_a_crash_between_prepare_and_send(sys_resilience: System, tmp_path: Path) -> None:
    s = sys_resilience
    contracts = s.contracts
    trail = Trail(open_engine(f"sqlite:///{tmp_path / 'west.db'}"), RC_WEST)
    account = dev_account(RC_WEST_NODE)

    events(trail, 3)
    TrailAnchorer(trail, contracts, account, mode="immediate").drain()
    anchors = chain_anchors(contracts, RC_WEST)
    assert [(a["firstSeq"], a["lastSeq"], a["kind"]) for a in anchors] == [(1, 1, "event"), (2, 2, "event"), (3, 3, "event")]
    assert [a["root"] for a in anchors] == [e.event_hash for e in trail.between(1, 3)]

    events(trail, 5)
    batched = TrailAnchorer(trail, contracts, account, batch_size=2, interval=0)
    batched.drain()
    anchors = chain_anchors(contracts, RC_WEST)
    assert [(a["firstSeq"], a["lastSeq"]) for a in anchors[3:]] == [(4, 5), (6, 7), (8, 8)]
    assert check_contiguous(anchors) == 8
    batch = trail.between(6, 7)
    assert anchors[4]["root"] == batch_root(batch) == leaf_root(7, batch[1].event_hash, proof_of(batch, 7))

    # A crash after the batch was prepared (written) and before its transaction was sent:
    # the restarted worker sends that batch, with its range and root, and nothing else.
    events(trail, 3)
    root = batch_root(trail.between(9, 10))
    prepared = TrailAnchor(body=trail.body, first_seq=9, last_seq=10, root=root, kind="batch", state="prepared")
    with Session(trail.engine) as session, session.begin():
        session.add(prepared)
    TrailAnchorer(trail, contracts, account, batch_size=1_000, interval=0).drain()
    anchors = chain_anchors(contracts, RC_WEST)
    assert [(a["firstSeq"], a["lastSeq"]) for a in anchors[6:]] == [(9, 10), (11, 11)]
    assert anchors[6]["root"] == root

    # The database loses an anchor row the chain holds: reported, never rebuilt silently.
    with Session(trail.engine) as session, session.begin():
        row = session.get(TrailAnchor, (trail.body, 11))
        session.delete(row)
    worker = TrailAnchorer(trail, contracts, account)
    assert worker.run_once() is False
    assert worker.status.consecutive_failures == 1 and "rows were lost" in (worker.status.last_error or "")
    with pytest.raises(AnchorError):
        worker.step()


@pytest.fixture(scope="module")
def sys_immediate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    yield from system(tmp_path_factory.mktemp("immediate"), LEDGER_TRAIL_MODE="immediate")


def test_a_node_set_to_immediate_mode_anchors_each_read_alone(sys_immediate: System) -> None:
    s = sys_immediate
    _, record, reader = s.granted_record()
    receipts = [reader.read(record, ["address"], "subsistence_review")["receipt"] for _ in range(3)]
    assert s.wait_anchored()["anchoredThrough"] == 3
    anchors = chain_anchors(s.contracts, RC_EAST)
    assert [(a["firstSeq"], a["lastSeq"], a["kind"], a["root"]) for a in anchors] == [
        (r["seq"], r["seq"], "event", r["eventHash"]) for r in receipts
    ]
    assert s.health()["trail"]["mode"] == "immediate"  # type: ignore[index]
