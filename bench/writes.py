"""``ledger bench writes``: registrations per second at 1-second blocks, three ways, in one run.

On a system of its own (anvil mining a block a second, the demo consortium), rc-east's officer
registers records with their own key:

* **one by one**: ``records add`` as before: store, send, wait for the block, next;
* **pipelined**: records staged one by one (as the API and ``records add`` stage them), then the
  account's outbox sent pipelined, several transactions a block;
* **import**: ``records import`` of a JSON Lines backlog: staged in bulk, then sent pipelined.

What bounds the last two at a given block time is the block's gas limit: the figure is printed
beside them (gas limit ÷ gas of one registration ÷ block time).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.reads import HOUSEHOLD
from ledger.crypto.subjects import check_character
from ledger.local.devkeys import dev_account

OFFICER = 6


def _nid(i: int) -> str:
    first17 = f"1101051990{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    return first17 + check_character(first17)


def run_writes_bench(
    *,
    one_by_one: int = 10,
    pipelined: int = 400,
    imported: int = 2000,
    block_time: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    from bench.reads import _rpc
    from ledger.config import Settings
    from ledger.local.chain_node import LocalNode, free_port
    from ledger.local.system import open_chain, open_store, up
    from ledger.records.imports import import_records

    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        settings = Settings(home=Path(tmp) / "home", node_port=free_port())
        progress("starting anvil and the demo consortium")
        up(settings)
        try:
            _rpc(settings.effective_rpc_url, "evm_setIntervalMining", block_time)
            chain = open_chain(settings)
            store = open_store(settings, chain, "rc-east")
            officer = chain.direct(dev_account(OFFICER))
            figures: dict[str, Any] = {"blockTime": block_time}

            progress(f"one by one: {one_by_one} records")
            t0 = time.perf_counter()
            for i in range(one_by_one):
                store.add(actor=officer, category="household", national_id=_nid(i), fields=HOUSEHOLD)
            figures["oneByOne"] = {"records": one_by_one, "perSecond": one_by_one / (time.perf_counter() - t0)}

            progress(f"pipelined: {pipelined} records staged one by one, then sent pipelined")
            t0 = time.perf_counter()
            for i in range(pipelined):
                store.stage_add(actor=officer, category="household", national_id=_nid(10_000 + i), fields=HOUSEHOLD)
            staged = time.perf_counter() - t0
            report = store.anchor(officer)
            assert not report.failed and not report.pending, report
            figures["pipelined"] = {
                "records": pipelined,
                "perSecond": pipelined / (time.perf_counter() - t0),
                "stagingSeconds": round(staged, 2),
            }

            progress(f"import: {imported} records from a JSON Lines file")
            data = "\n".join(
                json.dumps(
                    {"category": "household", "nationalId": _nid(20_000 + i), "fields": {**HOUSEHOLD, "members": 1 + i % 7}}
                )
                for i in range(imported)
            )
            t0 = time.perf_counter()
            result = import_records(store, officer, data.encode())
            assert result.staged == imported and len(result.anchor.anchored) == imported, result.to_json()
            figures["import"] = {"records": imported, "perSecond": imported / (time.perf_counter() - t0)}

            latest = chain.w3.eth.get_block("latest")
            one = chain.w3.eth.get_transaction_receipt(
                store.versions(bytes.fromhex(store.list_records(offset=0, limit=1)[0].record_id[2:]))[0].anchor_tx  # type: ignore[arg-type]
            )
            gas_limit, gas = int(latest["gasLimit"]), int(one["gasUsed"])
            figures["gasLimit"], figures["gasPerRegistration"] = gas_limit, gas
            figures["gasBoundPerSecond"] = gas_limit / gas / block_time
            return figures
        finally:
            LocalNode(settings.home).down()
