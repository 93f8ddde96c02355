"""Chain faults the node heals by itself (issue 14, item 6), each on a real anvil under rc-east's API:
a node SIGKILLed right after a confirmation keeps it; a rewound chain is re-indexed and its lost
anchors sent again, exactly once; a transaction stuck in the pool is replaced and the trail anchored;
an anchoring promise that passes turns /health degraded."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ledger.local.chain_node import process_alive
from tests.api.conftest import BLOCK_TIME
from tests.trail.conftest import System, system

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def sys_faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Anchors due a second after the oldest event; a transaction pending 2 s is stuck; receipts
    promise anchoring within 3 s."""
    yield from system(
        tmp_path_factory.mktemp("faults"),
        LEDGER_TRAIL_BATCH_INTERVAL="1",
        LEDGER_TX_STUCK_AFTER="2",
        LEDGER_TRAIL_ANCHOR_GRACE="3",
    )


def _until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:  # noqa: BLE001 — the node may be restarting
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what}")
        time.sleep(0.3)


def _anchor_logs_over(s: System, seq: int) -> int:
    """How many anchors on-chain cover access event ``seq`` of rc-east (exactly once: 1)."""
    trail = s.contracts.trail.handle
    logs = trail.logs("AccessBatchAnchored", from_block=0) + trail.logs("AccessEventAnchored", from_block=0)
    return sum(1 for e in logs if int(e.get("firstSeq", e.get("seq", 0))) <= seq <= int(e.get("lastSeq", e.get("seq", 0))))


def test_a_node_killed_right_after_a_confirmation_keeps_it(sys_faults: System) -> None:
    _, record_id, _ = sys_faults.granted_record()  # relayed and confirmed: register, request, approve
    info = sys_faults.node.running()
    assert info is not None
    os.killpg(info.pid, signal.SIGKILL)  # at once: no chance for anvil to save anything itself
    while process_alive(info.pid):
        time.sleep(0.02)
    sys_faults.chain_up()
    # the grant the API confirmed is still on the chain: the officer reads with it
    out = _until(
        lambda: sys_faults.signed_in(12).read(record_id, ["address"], "subsistence_review"),
        "a read on the grant confirmed before the kill",
    )
    assert out["bundle"]["recordId"] == record_id
    _until(lambda: sys_faults.health()["status"] == "ok", "/health ok again")


def test_a_rewound_chain_is_re_indexed_and_its_lost_anchors_sent_again_exactly_once(sys_faults: System) -> None:
    _, record_id, reader = sys_faults.granted_record()
    snapshot = sys_faults.rpc("evm_snapshot")
    seq = int(reader.read(record_id, ["address"], "subsistence_review")["receipt"]["seq"])
    sys_faults.wait_anchored()
    assert _anchor_logs_over(sys_faults, seq) == 1
    before = sys_faults.health()
    assert sys_faults.rpc("evm_revert", snapshot) is True  # the chain forgets the anchor (and the blocks since)
    assert _anchor_logs_over(sys_faults, seq) == 0

    healed = _until(
        lambda: (
            (h := sys_faults.health())["status"] == "ok"
            and h["trail"]["anchoredThrough"] >= seq
            and h["trail"]["rewindsTotal"] > before["trail"]["rewindsTotal"]
            and h["index"]["rewinds"] > before["index"]["rewinds"]
            and h
        ),
        "anchoring and index healed",
    )
    rewind = healed["index"]["lastRewind"]
    assert healed["index"]["lastError"] is None and rewind["to"] < rewind["from"]
    assert _anchor_logs_over(sys_faults, seq) == 1  # sent again, once
    metrics = sys_faults.signed_in(12).http.get("/metrics").text
    assert 'ledger_chain_rewinds_total{seen_by="anchoring"}' in metrics


def test_a_stuck_anchoring_transaction_is_replaced_and_the_trail_anchored(sys_faults: System) -> None:
    _, record_id, reader = sys_faults.granted_record()
    replaced = sys_faults.health()["trail"]["replacedTotal"]
    sys_faults.rpc("evm_setIntervalMining", 0)
    sys_faults.rpc("evm_setAutomine", False)  # the anchor's transaction now waits in the pool
    try:
        seq = int(reader.read(record_id, ["address"], "subsistence_review")["receipt"]["seq"])
        _until(lambda: sys_faults.health()["trail"]["replacedTotal"] > replaced, "the stuck transaction replaced")
        late = _until(
            lambda: (h := sys_faults.health())["trail"]["overdueSeconds"] > 0 and h, "the receipt's anchorBy passed"
        )
        assert late["status"] == "degraded"  # a broken promise is said, not hidden
        assert "ledger_trail_anchor_overdue_seconds" in sys_faults.signed_in(12).http.get("/metrics").text
    finally:
        sys_faults.rpc("evm_setAutomine", True)
        sys_faults.rpc("evm_setIntervalMining", BLOCK_TIME)
    trail = sys_faults.wait_anchored()
    assert trail["anchoredThrough"] >= seq and trail["overdueSeconds"] == 0
    assert _anchor_logs_over(sys_faults, seq) == 1
    _until(lambda: sys_faults.health()["status"] == "ok", "/health ok again")
