"""``ledger bench nodes``: the consortium's costs, each beside its one-node baseline in the same run.

On a system of its own (anvil, the demo consortium), four bodies' nodes, each with its own SQLite
database and its address published in the registry: rc-east, rc-west, the subdistrict office and
civil affairs.

1. A read through the reader's own node (forwarded to the custodian's node) beside the same read
   made directly at the custodian's node: ``reads`` read requests signed beforehand, submitted one
   at a time, alternating; medians and 95th percentiles of the ``POST /reads`` round trip as the
   officer's client sees it.
2. A resident's trail merged across the consortium at their committee's node, with events at four
   nodes (one record at each, read ``events`` times each by civil affairs' officer), beside the
   same resident's trail at the committee's node alone: ``trails`` requests of each, alternating.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The custodians of the trail measurement, with an officer and an admin each (dev account indices).
KEEPERS = {"rc-east": (6, 4), "rc-west": (9, 7), "subdistrict": (3, 1), "civil-affairs": (12, 10)}


def _figures(ts: list[float]) -> dict[str, float]:
    ts = sorted(ts)
    return {"p50ms": round(statistics.median(ts) * 1000, 1), "p95ms": round(ts[int(0.95 * (len(ts) - 1))] * 1000, 1)}


def run_nodes_bench(
    *, reads: int = 200, events: int = 10, trails: int = 50, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    from bench.reads import CA_OFFICER, HOUSEHOLD, TOKEN_SECRET
    from ledger.chain.deploy import Contracts
    from ledger.client.api_client import ApiClient
    from ledger.config import Settings
    from ledger.crypto.subjects import check_character
    from ledger.local.api_processes import ApiProcess
    from ledger.local.chain_node import LocalNode, free_port
    from ledger.local.devkeys import dev_account
    from ledger.local.system import open_chain, up
    from ledger.network.registry import format_endpoint

    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        home = Path(tmp) / "home"
        settings = Settings(home=home, node_port=free_port())
        progress("starting anvil and the demo consortium")
        up(settings)
        env = {
            **os.environ,
            "LEDGER_HOME": str(home),
            "LEDGER_NODE_PORT": str(settings.node_port),
            "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET,
            "LEDGER_API_TOKEN_TTL": "3600",
            "LEDGER_API_NONCE_ATTEMPTS": "1000",
            "LEDGER_API_CODE_ATTEMPTS": "1000",
        }
        env.pop("DATABASE_URL", None)
        nodes = {body: ApiProcess(home, body) for body in KEEPERS}
        try:
            progress(f"starting the nodes of {', '.join(KEEPERS)}")
            urls = {body: p.up(free_port(), env=env).url for body, p in nodes.items()}
            c = Contracts.of(open_chain(settings))
            for body, (_officer, admin) in KEEPERS.items():
                c.bodies.update_profile(c.chain.direct(dev_account(admin)), b"", format_endpoint(urls[body], None))

            def client(body: str, who: int) -> ApiClient:
                cl = ApiClient(urls[body], dev_account(who))
                cl.login()
                return cl

            forwarded = client("civil-affairs", CA_OFFICER)
            direct = client("rc-east", CA_OFFICER)

            def granted(first17: str, keepers: list[str]) -> tuple[str, dict[str, str]]:
                """A resident with a record at each of ``keepers``, each granted to civil affairs' officer (asked
                through their own node; its own body's record needs no grant)."""
                nid = first17 + check_character(first17)
                records = {
                    body: client(body, KEEPERS[body][0]).register_record("household", nid, HOUSEHOLD) for body in keepers
                }
                for body in keepers:
                    if body != "civil-affairs":
                        request_id = forwarded.request_access(
                            scope="record",
                            recordId=records[body],
                            fields=["address", "income_band"],
                            purpose="subsistence_review",
                            justification="benchmark",
                        )
                        client(body, KEEPERS[body][1]).approve(request_id, days=30)
                return nid, records

            _nid, records = granted("11010519800101125", ["rc-east"])  # the read comparison's resident
            nid, kept = granted("11010519800202126", list(KEEPERS))  # the trail's: a record at each node
            time.sleep(1)
            progress(f"{reads} reads each way, alternating")
            times: dict[str, list[float]] = {"direct": [], "forwarded": []}
            for i in range(2 * reads + 10):
                way, cl = ("direct", direct) if i % 2 == 0 else ("forwarded", forwarded)
                typed = cl.prepare_read(records["rc-east"], ["address", "income_band"], "subsistence_review")
                signature = cl.sign_typed(typed)
                t0 = time.perf_counter()
                cl.submit_read(typed, signature)
                if i >= 10:  # the first ones warm both nodes up
                    times[way].append(time.perf_counter() - t0)
            out: dict[str, Any] = {"reads": reads, **{way: _figures(ts) for way, ts in times.items()}}
            out["ratio"] = round(out["forwarded"]["p50ms"] / out["direct"]["p50ms"], 2)

            progress(f"{events} reads of the resident's record at each of {len(KEEPERS)} nodes")
            for body in KEEPERS:
                for _ in range(events):
                    forwarded.read(kept[body], ["address"], "subsistence_review")
            code = client("rc-east", KEEPERS["rc-east"][0]).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
            resident = ApiClient(urls["rc-east"])
            progress(f"{trails} trails each way, alternating")
            took: dict[str, list[float]] = {"oneNode": [], "merged": []}
            shown: dict[str, int] = {}
            for i in range(2 * trails + 4):
                way, path = ("oneNode", "/trail/by-code") if i % 2 == 0 else ("merged", "/trail/by-code/consortium")
                t0 = time.perf_counter()
                answer = resident.request("POST", path, json={"code": code})
                if i >= 4:
                    took[way].append(time.perf_counter() - t0)
                    shown[way] = len(answer["events"])
            out["trail"] = {
                "trails": trails,
                "nodes": len(KEEPERS),
                "events": shown,
                **{way: _figures(ts) for way, ts in took.items()},
            }
            out["trail"]["ratio"] = round(out["trail"]["merged"]["p50ms"] / out["trail"]["oneNode"]["p50ms"], 2)
            return out
        finally:
            for p in nodes.values():
                p.down()
            LocalNode(home).down()
