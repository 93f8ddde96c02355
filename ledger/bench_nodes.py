"""``ledger bench nodes``: a read through the reader's own node (forwarded to the custodian's node) beside
the same read made directly at the custodian's node, in one run.

On a system of its own (anvil, the demo consortium): rc-east's node and civil affairs' node, each with
its own SQLite database, both published in the registry; a record at rc-east granted to civil
affairs' officer. ``reads`` read requests are signed beforehand; they are submitted one at a time,
alternating direct and forwarded, and the figures are the medians and 95th percentiles of the
``POST /reads`` round trip as the officer's client sees it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run_nodes_bench(*, reads: int = 200, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    from ledger.bench_reads import CA_OFFICER, HOUSEHOLD, RC_ADMIN, RC_OFFICER, TOKEN_SECRET
    from ledger.chain.deploy import Contracts
    from ledger.client import ApiClient
    from ledger.config import Settings
    from ledger.consortium.registry import format_endpoint
    from ledger.devkeys import dev_account
    from ledger.node import LocalNode, free_port
    from ledger.services import ApiProcess
    from ledger.subjects import check_character
    from ledger.system import open_chain, up

    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        home = Path(tmp) / "home"
        settings = Settings(home=home, node_port=free_port())
        progress("starting anvil and the demo consortium")
        up(settings)
        env = {**os.environ, "LEDGER_HOME": str(home), "LEDGER_NODE_PORT": str(settings.node_port),
               "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET, "LEDGER_API_TOKEN_TTL": "3600",
               "LEDGER_API_NONCE_ATTEMPTS": "1000"}
        env.pop("DATABASE_URL", None)
        nodes = {body: ApiProcess(home, body) for body in ("rc-east", "civil-affairs")}
        try:
            progress("starting rc-east's and civil affairs' nodes")
            urls = {body: p.up(free_port(), env=env).url for body, p in nodes.items()}
            c = Contracts.of(open_chain(settings))
            for admin, body in ((RC_ADMIN, "rc-east"), (10, "civil-affairs")):
                c.bodies.update_profile(c.chain.direct(dev_account(admin)), b"", format_endpoint(urls[body], None))

            def client(body: str, who: int) -> ApiClient:
                cl = ApiClient(urls[body], dev_account(who))
                cl.login()
                return cl

            first17 = "11010519800101125"
            record_id = client("rc-east", RC_OFFICER).register_record("household", first17 + check_character(first17),
                                                                       HOUSEHOLD)
            direct = client("rc-east", CA_OFFICER)
            request_id = direct.request_access(scope="record", recordId=record_id, fields=["address", "income_band"],
                                               purpose="subsistence_review", justification="benchmark")
            client("rc-east", RC_ADMIN).approve(request_id, days=30)
            forwarded = client("civil-affairs", CA_OFFICER)
            time.sleep(1)
            progress(f"{reads} reads each way, alternating")
            times: dict[str, list[float]] = {"direct": [], "forwarded": []}
            for i in range(2 * reads + 10):
                way, cl = ("direct", direct) if i % 2 == 0 else ("forwarded", forwarded)
                typed = cl.prepare_read(record_id, ["address", "income_band"], "subsistence_review")
                signature = cl.sign_typed(typed)
                t0 = time.perf_counter()
                cl.submit_read(typed, signature)
                if i >= 10:  # the first ones warm both nodes up
                    times[way].append(time.perf_counter() - t0)
            out: dict[str, Any] = {"reads": reads}
            for way, ts in times.items():
                ts.sort()
                out[way] = {"p50ms": round(statistics.median(ts) * 1000, 1),
                            "p95ms": round(ts[int(0.95 * (len(ts) - 1))] * 1000, 1)}
            out["ratio"] = round(out["forwarded"]["p50ms"] / out["direct"]["p50ms"], 2)
            return out
        finally:
            for p in nodes.values():
                p.down()
            LocalNode(home).down()
