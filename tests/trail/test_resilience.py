"""No read escapes the trail, across crashes and chain outages (SPEC §5, §8).

* The API is SIGKILLed during bursts of reads, again and again, at random moments: every
  read that got an answer has its event, sequence numbers stay contiguous, and every event
  is anchored exactly once (the chain's anchors run 1..n without gap or overlap and match
  the node's records of them).
* The chain node stops for a while: reads cannot be checked, so they are refused with 503
  and change nothing; events written before wait, the failure shows in /health and
  /metrics, and anchoring resumes by itself when the node is back; nothing is lost.
"""

from __future__ import annotations

import random
import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from ledger.audit.node import Auditor
from ledger.client.api_client import ApiError
from ledger.index.indexer import Indexer
from ledger.local.system import open_chain, open_store
from ledger.trail.proofs import chain_anchors, check_contiguous
from tests.api.test_flows import CA_OFFICER
from tests.trail.conftest import System

RC_EAST = b"rc-east".ljust(32, b"\0")


def stored_events(s: System) -> dict[int, str]:
    engine = create_engine(s.db_url)
    try:
        with engine.connect() as conn:
            return {
                int(seq): str(h) for seq, h in conn.execute(text("SELECT seq, event_hash FROM access_events ORDER BY seq"))
            }
    finally:
        engine.dispose()


def assert_anchored_exactly_once(s: System) -> None:
    events = stored_events(s)
    assert list(events) == list(range(1, len(events) + 1)), "sequence numbers have a gap"
    anchors = chain_anchors(s.contracts, RC_EAST)
    assert check_contiguous(anchors) == len(events)  # each event in exactly one anchor
    engine = create_engine(s.db_url)
    try:
        with engine.connect() as conn:
            rows = [
                (int(a), int(b), str(r), str(st))
                for a, b, r, st in conn.execute(
                    text("SELECT first_seq, last_seq, root, state FROM trail_anchors ORDER BY first_seq")
                )
            ]
    finally:
        engine.dispose()
    assert rows == [(a["firstSeq"], a["lastSeq"], a["root"], "anchored") for a in anchors]


def full_audit(s: System) -> None:
    chain = open_chain(s.settings)
    store = open_store(s.settings, chain, "rc-east")
    try:
        report = Auditor(store, Indexer(store.engine, chain, from_block=chain.manifest.deploy_block)).run()
    finally:
        store.engine.dispose()
    assert report.ok, {n: c.failures[:3] for n, c in report.checks.items() if not c.ok}


def test_sigkill_during_read_bursts_loses_no_event(sys_resilience: System) -> None:
    s = sys_resilience
    _, record, _ = s.granted_record()
    answered: dict[int, str] = {}
    rng = random.Random(5)
    for _ in range(6):
        readers = [s.signed_in(CA_OFFICER) for _ in range(3)]
        stop = threading.Event()

        def burst(reader: object) -> None:
            while not stop.is_set():  # noqa: B023
                try:
                    r = reader.read(record, ["address"], "subsistence_review")  # type: ignore[attr-defined]
                except (ApiError, httpx.HTTPError):
                    continue
                answered[r["receipt"]["seq"]] = r["receipt"]["eventHash"]

        threads = [threading.Thread(target=burst, args=(r,)) for r in readers]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 2.5))
        s.kill_api()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        s.start_api()
    s.wait_anchored(timeout=90)
    events = stored_events(s)
    assert len(answered) >= 10, "the bursts should have served reads"
    for seq, event_hash in answered.items():  # every answered read has its event, unchanged
        assert events.get(seq) == event_hash
    assert_anchored_exactly_once(s)
    full_audit(s)


def test_chain_outage_refuses_reads_then_anchoring_resumes(sys_resilience: System) -> None:
    s = sys_resilience
    _, record, reader = s.granted_record()
    before = [reader.read(record, ["address"], "subsistence_review")["receipt"] for _ in range(3)]
    s.node.down()  # the chain node stops (before the 3-second batch is due)
    try:
        # The node decides at the head it follows; once that is older than twice its poll interval
        # (0.25 s) it must ask the chain again, and cannot: a read cannot be checked, so it is refused,
        # and nothing is written.
        time.sleep(1.0)
        with pytest.raises(ApiError) as info:
            reader.read(record, ["address"], "subsistence_review")
        assert (info.value.status, info.value.api_code) == (503, "chain_unavailable")
        deadline = time.monotonic() + 30
        while (health := s.health())["trail"]["consecutiveFailures"] == 0:  # type: ignore[index]
            assert time.monotonic() < deadline, health
            time.sleep(0.3)
        assert health["status"] == "degraded" and health["chain"]["reachable"] is False  # type: ignore[index]
        assert health["trail"]["unanchored"] >= 3 and health["trail"]["lastError"]  # type: ignore[index]
        metrics = httpx.get(s.url + "/metrics", timeout=10).text
        assert "ledger_trail_anchor_failures 0.0" not in metrics
        assert max(stored_events(s)) == before[-1]["seq"]
    finally:
        s.chain_up()
    s.wait_anchored(timeout=90)  # by itself: nobody restarts the API
    after = reader.read(record, ["address"], "subsistence_review")["receipt"]
    assert after["seq"] == before[-1]["seq"] + 1
    s.wait_anchored()
    events = stored_events(s)
    assert all(events[r["seq"]] == r["eventHash"] for r in (*before, after))
    assert_anchored_exactly_once(s)
    full_audit(s)


INDEX_TABLES = (
    "chain_cursor",
    "chain_logs",
    "ix_bodies",
    "ix_members",
    "ix_requests",
    "ix_grants",
    "ix_emergencies",
    "ix_anchors",
)
INDEX_SCRIPT = """
import sys
from ledger.config import Settings
from ledger.index.indexer import Indexer
from ledger.store.db import open_engine
from ledger.local.system import open_chain
chain = open_chain(Settings())
Indexer(open_engine(sys.argv[1]), chain, from_block=chain.manifest.deploy_block, page=1).sync(int(sys.argv[2]))
"""


def index_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))) for t in INDEX_TABLES}
    finally:
        engine.dispose()


def _cursor(url: str) -> int:
    try:
        rows = index_rows(url)["chain_cursor"]
    except Exception:  # noqa: BLE001 — not created or migrated yet
        return -1
    return int(rows[0][1]) if rows else -1  # type: ignore[call-overload]


def test_indexer_killed_mid_stream_builds_the_same_index(sys_resilience: System, tmp_path: object) -> None:
    """One block per database transaction, SIGKILLed at random moments and restarted, against one run."""
    import subprocess
    import sys
    from pathlib import Path

    from ledger.store.db import open_engine

    s = sys_resilience
    chain = open_chain(s.settings)
    head = chain.block_number()
    reference = f"sqlite:///{Path(str(tmp_path)) / 'reference.db'}"
    Indexer(open_engine(reference), chain, from_block=chain.manifest.deploy_block).sync(head)
    crashed = f"sqlite:///{Path(str(tmp_path)) / 'crashed.db'}"
    rng = random.Random(7)
    start = chain.manifest.deploy_block
    killed_at = []
    for _ in range(4):  # each time, kill it once it has passed a random block, wherever it is then
        target = rng.randint(start, head - 1)
        proc = subprocess.Popen([sys.executable, "-c", INDEX_SCRIPT, crashed, str(head)], env=s.env)
        while proc.poll() is None and _cursor(crashed) <= target:
            time.sleep(0.005)
        proc.kill()
        proc.wait()
        killed_at.append(_cursor(crashed))
    assert any(start <= k < head for k in killed_at), f"no kill landed mid-stream: {killed_at}"
    subprocess.run([sys.executable, "-c", INDEX_SCRIPT, crashed, str(head)], env=s.env, check=True, timeout=300)
    want, got = index_rows(reference), index_rows(crashed)
    assert want["chain_cursor"][0][1] == head and len(want["chain_logs"]) > 20
    assert got == want
