"""``ledger bench audit``: the indexer catching up with the chain, and ``ledger audit`` of a million events.

On a system of its own (anvil, the demo consortium), rc-east's node database (PostgreSQL or SQLite):

1. rc-east's officer imports ``records`` household records (``records import``, pipelined);
2. civil affairs' admin asks for an agreement over household records and rc-east's admin approves it;
3. ``events`` read requests are signed by civil affairs' officer (EIP-712, a fresh nonce each) and
   written through the trail's group commit (``Trail.append_many``: sequence numbers, the
   subject chain, event hashes), each read of one of the records at the block after the grant;
4. the node's anchorer anchors them in batches of ``batch_size`` (Merkle roots on-chain);
5. with 1-second blocks, civil affairs' admin sends ``requests`` access requests (pipelined) and
   rc-east's admin approves them, so the chain has a history of a district's traffic to index;
6. **indexer catch-up**: a node that has indexed nothing follows the whole chain (``Indexer.sync``):
   chain logs and blocks per second;
7. **audit**: the full audit of the body (``Auditor.run``, as ``ledger audit``): every record
   against its commitment, every event's grant at its block, hash, sequence, subject chain, anchor
   root, read request and signature. It must pass: a failing audit fails the benchmark.

Nothing here is timed in a test; the figures are printed and written by ``bench performance``.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import coincurve

from bench.reads import CA_OFFICER, HOUSEHOLD, RC_ADMIN, RC_OFFICER, _rpc
from ledger.local.devkeys import dev_account

CA_ADMIN = 10
FIELDS = ["address", "income_band"]
PURPOSE = "subsistence_review"
CHUNK = 5_000  # events signed and committed at a time


def _nid(i: int) -> str:
    from ledger.crypto.subjects import check_character

    first17 = f"3201021975{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    return first17 + check_character(first17)


@contextmanager
def _database(kind: str) -> Iterator[str | None]:
    if kind == "postgresql":
        from bench.reads import _pg_schema

        with _pg_schema() as url:
            yield url
    else:
        yield None


def run_audit_bench(
    *,
    database: str = "postgresql",
    events: int = 1_000_000,
    records: int = 1_000,
    requests: int = 2_000,
    batch_size: int = 10_000,
    workers: int = 2,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    from ledger.audit.node import Auditor
    from ledger.chain.access import RequestInput, Scope
    from ledger.chain.deploy import Contracts
    from ledger.config import Settings
    from ledger.ids import code_id
    from ledger.index.indexer import Indexer
    from ledger.local.chain_node import LocalNode, free_port
    from ledger.local.system import open_chain, open_store, up
    from ledger.records.imports import import_records
    from ledger.trail.anchor import TrailAnchorer

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ledger-bench-")))
        url = stack.enter_context(_database(database))
        settings = Settings(home=tmp / "home", node_port=free_port())
        progress("starting anvil and the demo consortium")
        up(settings)
        stack.callback(LocalNode(settings.home).down)
        chain = open_chain(settings)
        store = open_store(settings.model_copy(update={"database_url": url}) if url else settings, chain, "rc-east")
        stack.callback(store.engine.dispose)
        c = Contracts.of(chain)
        figures: dict[str, Any] = {"database": database, "events": events, "records": records}

        progress(f"importing {records:,} household records")
        lines = "\n".join(
            json.dumps({"category": "household", "nationalId": _nid(i), "fields": HOUSEHOLD}) for i in range(records)
        )
        imported = import_records(store, chain.direct(dev_account(RC_OFFICER)), lines.encode())
        assert len(imported.anchor.anchored) == records, imported.to_json()

        progress("an agreement over household records, approved")
        mask = sum(1 << store.schema("household").index(f) for f in FIELDS)
        agreement = RequestInput(
            Scope.AGREEMENT, mask, code_id(PURPOSE), b"\1" * 32, custodian=store.body, category=code_id("household")
        )
        request_id = c.access.request_access(chain.direct(dev_account(CA_ADMIN)), agreement)
        grant_id = c.access.approve(chain.direct(dev_account(RC_ADMIN)), request_id, int(time.time()) + 30 * 86_400)
        block = int(chain.w3.eth.block_number)

        progress(f"{events:,} reads signed and written through the trail's group commit")
        from ledger.store.trail import Trail

        trail = Trail(store.engine, store.body)
        ids = [(r.record_id, r.subject_id) for r in store.list_records(offset=0, limit=records)]
        t0 = time.perf_counter()
        analyzed_at = CHUNK
        for start in range(0, events, CHUNK):
            news = _signed_reads(c, store.body, ids, grant_id, block, range(start, min(start + CHUNK, events)))
            written = trail.append_many(news)
            assert all(not isinstance(w, Exception) for w in written)
            progress(f"{min(start + CHUNK, events):,} of {events:,} events written")
            if store.engine.dialect.name == "postgresql" and start + CHUNK >= analyzed_at:
                # as autovacuum would while the table grows (the test server runs without it): with statistics
                # of an empty table, the group commit's replay check turns into a scan of the whole table
                with store.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE access_events")
                analyzed_at *= 2
        figures["writeSeconds"] = round(time.perf_counter() - t0, 1)
        if store.engine.dialect.name == "postgresql":  # as autovacuum would have by now on a server that runs it
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")

        progress(f"anchoring in batches of {batch_size:,}")
        anchorer = TrailAnchorer(trail, c, dev_account(21), mode="batched", batch_size=batch_size, interval=0)
        t0 = time.perf_counter()
        while anchorer.status.anchored_through < events:
            anchorer.step()
            progress(f"anchored through {anchorer.status.anchored_through:,}")
        figures["anchorSeconds"] = round(time.perf_counter() - t0, 1)

        progress(f"{requests:,} access requests and approvals at 1-second blocks")
        _rpc(settings.effective_rpc_url, "evm_setIntervalMining", 1)
        _requests_and_approvals(c, store.body, requests)

        progress("a node that has indexed nothing catches up with the chain")
        deploy_block = chain.manifest.deploy_block if chain.manifest else 0
        indexer = Indexer(store.engine, chain, from_block=deploy_block)
        head = int(chain.w3.eth.block_number)
        t0 = time.perf_counter()
        logs = indexer.sync()
        seconds = time.perf_counter() - t0
        figures["index"] = {
            "logs": logs,
            "blocks": head - deploy_block + 1,
            "seconds": round(seconds, 2),
            "logsPerSecond": round(logs / seconds, 1),
            "blocksPerSecond": round((head - deploy_block + 1) / seconds, 1),
        }

        progress(f"auditing {events:,} events ({workers} worker processes)")
        done = {"last": 0.0}

        def report(what: str, n: int, total: int) -> None:
            if time.monotonic() - done["last"] > 5:
                done["last"] = time.monotonic()
                progress(f"audit: {what} {n:,} of {total:,}")

        t0 = time.perf_counter()
        result = Auditor(store, indexer, workers=workers, progress=report).run()
        seconds = time.perf_counter() - t0
        failed = {n: c.failures[:3] for n, c in result.checks.items() if not c.ok}
        assert result.ok, f"the audit failed: {failed}"
        figures["audit"] = {
            "events": result.events,
            "seconds": round(seconds, 1),
            "eventsPerSecond": round(result.events / seconds, 0),
            "workers": workers,
            "ok": result.ok,
        }
        return figures


def _signed_reads(
    c: Any, custodian: bytes, ids: list[tuple[str, str]], grant_id: int, block: int, numbers: range
) -> list[Any]:
    """Read requests of civil affairs' officer, each with a fresh nonce, signed as a wallet signs them."""
    from ledger.access.reads import message_digest, typed_data
    from ledger.ids import code_id, hex32
    from ledger.store.trail import NewEvent

    officer = dev_account(CA_OFFICER)
    key = coincurve.PrivateKey(bytes(officer.key))
    chain_id, trail = c.chain.chain_id, c.trail.handle.address
    reader_body = hex32(code_id("civil-affairs"))
    deadline = int(time.time()) + 900
    out = []
    for i in numbers:
        record_id, subject_id = ids[i % len(ids)]
        message = typed_data(
            chain_id=chain_id,
            verifying_contract=trail,
            reader=officer.address,
            custodian=custodian,
            record_id=bytes.fromhex(record_id[2:]),
            fields=FIELDS,
            purpose=code_id(PURPOSE),
            grant_id=grant_id,
            emergency_id=0,
            nonce=secrets.token_bytes(32),
            deadline=deadline,
        )["message"]
        digest = message_digest(message, chain_id=chain_id, verifying_contract=trail)
        raw = key.sign_recoverable(digest, hasher=None)
        out.append(
            NewEvent(
                reader=officer.address,
                reader_body=reader_body,
                record_id=record_id,
                version=1,
                subject_id=subject_id,
                category="household",
                fields=FIELDS,
                purpose=PURPOSE,
                grant_id=grant_id,
                emergency_id=0,
                block=block,
                request=message,
                signature="0x" + raw[:64].hex() + f"{raw[64] + 27:02x}",
                request_digest="0x" + digest.hex(),
            )
        )
    return out


def _requests_and_approvals(c: Any, custodian: bytes, n: int) -> None:
    """``n`` agreement requests by civil affairs' admin and their approvals by rc-east's admin, each side's
    transactions sent pipelined (consecutive nonces, 200 at a time)."""
    from ledger.chain.access import RequestInput, Scope
    from ledger.ids import code_id

    handle = c.access.handle
    since = int(c.chain.w3.eth.block_number)
    first = RequestInput(
        Scope.AGREEMENT, 1 << 1, code_id(PURPOSE), b"\2" * 32, custodian=custodian, category=code_id("housing")
    )
    requests = [handle.encode("requestAccess", first.as_tuple())] * n
    _pipelined(c, dev_account(CA_ADMIN), requests)
    expires = int(time.time()) + 86_400
    _pipelined(
        c,
        dev_account(RC_ADMIN),
        [
            handle.encode("approveRequest", int(r["requestId"]), expires)
            for r in handle.logs("AccessRequested", from_block=since)
        ],
    )


def _pipelined(c: Any, account: Any, calls: list[bytes]) -> None:
    sender, to = c.chain.sender, c.access.handle.address
    gas = int(sender.gas_for({"from": account.address, "to": to, "data": calls[0]}) * 1.3)
    for start in range(0, len(calls), 200):
        hashes = sender.submit_many(account, [(to, d, gas) for d in calls[start : start + 200]], sender.fees())
        for receipt in sender.wait_many(hashes):
            assert not isinstance(receipt, Exception), receipt
