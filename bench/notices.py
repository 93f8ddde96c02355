"""``ledger bench notices``: notices delivered per second to a local gateway, and the delay from a read to
its notice (p50, p95).

On a system of its own (anvil with 1-second blocks, the demo, rc-east's node with household as the sensitive
category, so that every read is an instant notice, and ``LEDGER_NOTIFY_INTERVAL`` at its default of 1 s), a
local HTTP receiver plays the gateway and checks every signature.

* **Delay**: ``reads`` reads, one every ``pace`` seconds, the gateway up; each notice's arrival at the
  receiver minus its read's time on the trail.
* **Throughput**: ``burst`` reads while the gateway answers 503, then the gateway back: the outbox drained,
  notices per second from the first to the last taken.

Baselines in the same run: for the delay, the outbox's pass interval alone (a read waits for the next pass:
uniform over ``LEDGER_NOTIFY_INTERVAL``, p50 half of it, p95 0.95 of it); for the throughput, the same
receiver taking the same signed notices POSTed one after another from one client, with no outbox.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ledger.errors import IntegrityFailure

SECRET = "benchmark-only notify secret: 7d1f0e9c3a5b8264"
#: ``LEDGER_NOTIFY_INTERVAL``'s default, seconds: the node's notices pass this often.
INTERVAL = 1.0


class _Gateway:
    def __init__(self) -> None:
        self.up = True
        self.taken: dict[str, tuple[float, dict[str, Any]]] = {}
        self.forged = 0
        self.lock = threading.Lock()


def _handler(gw: _Gateway) -> type[BaseHTTPRequestHandler]:
    from ledger.notify.delivery import verify

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            now = time.time()
            if not verify(SECRET.encode(), body, self.headers.get("X-Civic-Ledger-Signature", "")):
                gw.forged += 1
                self.send_response(401)
            elif not gw.up:
                self.send_response(503)
            else:
                with gw.lock:
                    gw.taken.setdefault(self.headers["X-Civic-Ledger-Notice"], (now, json.loads(body)))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def _wait(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise IntegrityFailure(f"{what} within {timeout} s")
        time.sleep(0.05)


def run_notices_bench(
    *, reads: int, pace: float, burst: int, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    import datetime as dt

    from bench.reads import TOKEN_SECRET, _rpc
    from ledger.client.api_client import ApiClient
    from ledger.config import Settings
    from ledger.crypto.subjects import check_character
    from ledger.local.api_processes import ApiProcess
    from ledger.local.chain_node import LocalNode, free_port
    from ledger.local.devkeys import dev_account
    from ledger.local.system import up

    gw = _Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gw))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        home = Path(tmp) / "home"
        settings = Settings(home=home, node_port=free_port())
        progress("starting anvil and the demo consortium")
        up(settings)
        node = ApiProcess(home, "rc-east")
        try:
            _rpc(settings.effective_rpc_url, "evm_setIntervalMining", 1)
            env = {
                **os.environ,
                "LEDGER_HOME": str(home),
                "LEDGER_NODE_PORT": str(settings.node_port),
                "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET,
                "LEDGER_NOTIFY_WEBHOOK": f"http://127.0.0.1:{server.server_port}/notices",
                "LEDGER_NOTIFY_SECRET": SECRET,
                "LEDGER_NOTIFY_SENSITIVE": '["household"]',
                "LEDGER_NOTIFY_INTERVAL": str(INTERVAL),
            }
            progress("starting rc-east's node with the gateway")
            url = node.up(free_port(), env=env).url
            officer = ApiClient(url, dev_account(6))
            officer.login()
            base = "11010519800101123"
            record = officer.register_record(
                "household",
                base + check_character(base),
                {
                    "head_of_household": "Bench",
                    "address": "Bench Lane 1",
                    "members": 2,
                    "phone": None,
                    "housing_type": "rented",
                    "income_band": "low",
                },
            )
            progress(f"delay: {reads} reads, one every {pace} s")
            seqs = []
            for _ in range(reads):
                seqs.append(officer.read(record, ["members"], "grid_management")["receipt"]["seq"])
                time.sleep(pace)

            def told() -> set[int]:
                with gw.lock:
                    return {int(r["seq"]) for _, n in gw.taken.values() for r in n["reads"]}

            _wait(lambda: set(seqs) <= told(), 120, "not every read was told")
            delays = sorted(
                at - dt.datetime.fromisoformat(n["reads"][0]["at"]).timestamp()
                for at, n in gw.taken.values()
                if n["reads"][0]["seq"] in seqs
            )
            progress(f"throughput: {burst} reads while the gateway is down, then the gateway back")
            gw.up = False
            burst_seqs = [officer.read(record, ["members"], "grid_management")["receipt"]["seq"] for _ in range(burst)]
            admin = ApiClient(url, dev_account(4))
            admin.login()
            _wait(
                lambda: admin.request("GET", "/notices/outbox", params={"limit": "1"})["pending"] >= burst,
                120,
                "the outbox did not fill",
            )
            gw.up = True
            _wait(lambda: set(burst_seqs) <= told(), 600, "the outbox did not drain")
            arrivals = sorted(at for at, n in gw.taken.values() if n["reads"][0]["seq"] in burst_seqs)
            progress(f"baseline: {burst} signed notices POSTed straight to the gateway")
            direct = _direct(server.server_port, [n for _, n in gw.taken.values() if n["reads"][0]["seq"] in burst_seqs])
        finally:
            node.down()
            LocalNode(home).down()
            server.shutdown()
    if gw.forged:
        raise IntegrityFailure(f"{gw.forged} notices did not carry a valid signature")
    span = arrivals[-1] - arrivals[0]
    return {
        "reads": reads,
        "pace": pace,
        "delayP50s": round(statistics.median(delays), 3),
        "delayP95s": round(delays[min(len(delays) - 1, int(0.95 * len(delays)))], 3),
        "burst": burst,
        "drainSeconds": round(span, 2),
        "noticesPerSecond": round((len(arrivals) - 1) / span, 1) if span > 0 else None,
        "intervalS": INTERVAL,
        "directPerSecond": round(direct, 1),
        "ratio": round((len(arrivals) - 1) / span / direct, 2) if span > 0 else None,
    }


def _direct(port: int, payloads: list[dict[str, Any]]) -> float:
    """Notices per second the receiver takes from one client POSTing signed notices one after another (new ids,
    so that each is taken), with no outbox or database behind them."""
    import httpx

    from ledger.notify.delivery import signature

    with httpx.Client(timeout=10) as client:
        start = time.perf_counter()
        for i, payload in enumerate(payloads):
            body = json.dumps({**payload, "noticeId": f"baseline-{i}"}, separators=(",", ":"), sort_keys=True).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Civic-Ledger-Notice": f"baseline-{i}",
                "X-Civic-Ledger-Signature": signature(SECRET.encode(), body, int(time.time())),
            }
            if client.post(f"http://127.0.0.1:{port}/notices", content=body, headers=headers).status_code != 200:
                raise IntegrityFailure("the gateway refused a baseline notice")
        return len(payloads) / (time.perf_counter() - start)
