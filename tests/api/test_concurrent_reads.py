"""Reads under load and reads racing a revocation (issue 11): real uvicorn, anvil mining a block a
second; SQLite with one uvicorn process, PostgreSQL with two worker processes sharing the trail."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from bench.reads import Signer
from ledger.chain.access import Decision
from ledger.ids import code_id
from ledger.local.devkeys import dev_account
from ledger.trail import receipts
from tests.api.conftest import Api, _serve
from tests.api.test_flows import AUDITOR, CA_OFFICER, RC_ADMIN, granted_record, refused
from tests.support import DATABASES, pg_schema

CLIENTS = 64
HEAD_INTERVAL = 0.25  # the node's default poll of the chain head


@pytest.fixture(scope="module", params=DATABASES)
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """rc-east's node: one uvicorn process on SQLite, two worker processes on PostgreSQL."""
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(pg_schema()) if request.param == "postgresql" else None
        yield from _serve(tmp_path_factory.mktemp("load") / "home", database, workers=2 if database else 1)


def post_all(url: str, token: str, bodies: list[bytes]) -> list[tuple[int, dict[str, Any]]]:
    """Posts every body to /reads at the same moment, one connection each."""
    parts = urllib.parse.urlsplit(url)
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict[str, Any]] | None] = [None] * len(bodies)

    def one(i: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        conn.connect()
        barrier.wait()
        conn.request("POST", "/reads", bodies[i], {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = conn.getresponse()
        results[i] = (r.status, json.loads(r.read()))
        conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert all(r is not None for r in results), "a read got no answer"
    return [r for r in results if r is not None]


def wait_anchored(api: Api, last_seq: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while int(float(_metric(api, "ledger_trail_anchored_seq"))) < last_seq:
        assert time.monotonic() < deadline, "the trail was not anchored"
        time.sleep(0.5)


def _metric(api: Api, name: str) -> str:
    text = api.client().request("GET", "/metrics")
    return next(line.split()[1] for line in text.splitlines() if line.startswith(name + " "))


def audit_passes(api: Api) -> dict[str, Any]:
    report = api.signed_in(AUDITOR).request("POST", "/audit/verify")
    failed = {c["number"]: c["failures"][:3] for c in report["checks"] if not c["ok"]}
    assert report["ok"], failed
    return dict(report)


def test_64_concurrent_reads_are_all_answered_each_after_its_event_gapless(node: Api) -> None:
    _, record_id, _, reader = granted_record(node)
    typed = reader.prepare_read(record_id, ["address", "income_band"], "subsistence_review")
    bodies = Signer(typed, bytes(dev_account(CA_OFFICER).key)).bodies(CLIENTS)
    first = int(node.sql("SELECT COALESCE(MAX(seq), 0) FROM access_events")[0][0])  # type: ignore[call-overload]

    answers = post_all(node.url, str(reader.token), bodies)

    assert [status for status, _ in answers] == [200] * CLIENTS, [a for a in answers if a[0] != 200][:3]
    receipts_ = [body["receipt"] for _, body in answers]
    seqs = sorted(r["seq"] for r in receipts_)
    assert seqs == list(range(first + 1, first + CLIENTS + 1))  # gapless, contiguous, none twice
    stored = dict(node.sql(f"SELECT seq, event_hash FROM access_events WHERE seq > {first}"))  # type: ignore[arg-type]
    assert {r["seq"]: r["eventHash"] for r in receipts_} == stored  # every answered read has its event
    all_seqs = [int(s) for (s,) in node.sql("SELECT seq FROM access_events ORDER BY seq")]  # type: ignore[call-overload]
    assert all_seqs == list(range(1, len(all_seqs) + 1))
    for r in receipts_:  # each receipt signed by the node's anchor account over its own event
        message = {"custodian": r["custodian"], "seq": r["seq"], "eventHash": r["eventHash"], "anchorBy": r["anchorBy"]}
        assert (
            receipts.signer(
                "AccessReceipt",
                message,
                r["signature"],
                chain_id=node.chain.chain_id,
                verifying_contract=node.contracts.chain.contract("AccessTrail").address,
            )
            == r["signer"]
        )
    wait_anchored(node, seqs[-1])
    report = audit_passes(node)
    assert report["events"] >= seqs[-1]


def test_reads_signed_before_a_revocation_are_refused_once_the_node_sees_its_block(node: Api) -> None:
    _, record_id, grant_id, reader = granted_record(node)
    signed = [
        (t, reader.sign_typed(t))
        for t in (reader.prepare_read(record_id, ["address"], "subsistence_review") for _ in range(4))
    ]
    served = reader.submit_read(*signed[0])["receipt"]

    # the committee's admin revokes on the chain, not through this node (as from another body's node)
    receipt = node.contracts.access.handle.chain.direct(dev_account(RC_ADMIN)).send(
        node.contracts.access.handle, "revokeGrant", grant_id
    )
    revoked_at = int(receipt["blockNumber"])
    # A node decides at the head it follows and polls it every 0.25 s; past twice that, any head it
    # uses was read after the revocation was mined (each worker process alike).
    time.sleep(2 * HEAD_INTERVAL + 0.5)
    for typed, signature in signed[1:]:
        refused(lambda typed=typed, signature=signature: reader.submit_read(typed, signature), 403, "grant_revoked")

    # the read served before records the block it was checked at; the chain agrees at that block
    (block,) = node.sql(f"SELECT block FROM access_events WHERE seq = {served['seq']}")[0]
    assert isinstance(block, int) and 0 < block < revoked_at
    access, mask = node.contracts.access, 1 << 1  # "address" is the household category's second field
    reader_address = str(reader.account.address)  # type: ignore[union-attr]
    rid, purpose = bytes.fromhex(record_id[2:]), code_id("subsistence_review")
    assert access.check_access(reader_address, rid, mask, purpose, grant_id, block=block) == Decision.GRANTED
    assert access.check_access(reader_address, rid, mask, purpose, grant_id, block=revoked_at) == Decision.REVOKED
    assert (
        int(
            node.sql(
                "SELECT COUNT(*) FROM access_events WHERE record_id = "  # type: ignore[call-overload]
                f"'{record_id.lower()}'"
            )[0][0]
        )
        == 1
    )  # the refused reads wrote nothing
    wait_anchored(node, served["seq"])
    audit_passes(node)  # check 2 re-asks the chain at each event's block: this one was granted there
