"""``ledger bench faults``: the node under a mixed load while its processes are killed.

A local system of its own (anvil, the demo consortium, rc-east's API as ``ledger serve`` runs it) takes
a steady load from one client thread — records registered, access requested and approved, records read
— while this module

1. SIGKILLs the API (its process group: uvicorn and the indexer and anchoring threads) ``api_kills``
   times at random moments, restarting it each time;
2. SIGKILLs anvil ``anvil_kills`` times, restarting it, and lets the API heal by itself;
3. on PostgreSQL, terminates the node's database connections (``pg_terminate_backend``, never a server
   restart) for a few seconds under the same load.

Then it checks what the client was told against what the node and the chain hold: a registration the
client saw confirmed that is missing (records lost), a read answered with a receipt whose event is
missing or different (reads without an event), anchors on-chain that overlap (duplicate anchors), and
how long each recovery took.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.local.chain_node import LocalNode, free_port, port_free, process_alive

RC_OFFICER, RC_ADMIN, CA_OFFICER = 6, 4, 12
FIELDS = {
    "head_of_household": "Chaos Test",
    "address": "Load Lane 1",
    "members": 2,
    "phone": None,
    "housing_type": "rented",
    "income_band": "low",
}


@dataclass
class Load:
    """What the client was told, and how its calls ended."""

    records: list[str] = field(default_factory=list)  # registrations confirmed to the client
    reads: list[tuple[int, str]] = field(default_factory=list)  # receipts: (seq, eventHash)
    outcomes: Counter[str] = field(default_factory=Counter)  # "ok", or the error code / HTTP status
    statuses: Counter[int] = field(default_factory=Counter)  # HTTP status of every refused call
    lock: threading.Lock = field(default_factory=threading.Lock)


def _national_id(n: int) -> str:
    from ledger.crypto.subjects import check_character

    first17 = f"1101051980{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + check_character(first17)


class Driver:
    """One client thread: register → request → approve → three reads, over and over."""

    def __init__(self, url: Callable[[], str], load: Load, seed: int) -> None:
        self.url, self.load = url, load
        self.stop = threading.Event()
        self.n = seed * 10_000
        self.thread = threading.Thread(target=self._run, name="load", daemon=True)

    def _client(self, who: int) -> Any:
        from ledger.client.api_client import ApiClient
        from ledger.local.devkeys import dev_account

        c = ApiClient(self.url(), dev_account(who), timeout=20)
        c.login()
        return c

    def _step(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from ledger.client.api_client import ApiError

        try:
            out = fn(*args, **kwargs)
        except ApiError as exc:
            with self.load.lock:
                self.load.outcomes[exc.api_code] += 1
                self.load.statuses[exc.status] += 1
            time.sleep(0.2)
            return None
        with self.load.lock:
            self.load.outcomes["ok"] += 1
        return out

    def _run(self) -> None:
        while not self.stop.is_set():
            self.n += 1
            self._round(self.n)

    def _round(self, n: int) -> None:
        officer = self._step(self._client, RC_OFFICER)
        rid = officer and self._step(officer.register_record, "household", _national_id(n), FIELDS)
        if not rid:
            return
        with self.load.lock:
            self.load.records.append(rid)
        reader = self._step(self._client, CA_OFFICER)
        request = reader and self._step(
            reader.request_access,
            scope="record",
            recordId=rid,
            fields=["address"],
            purpose="subsistence_review",
            justification="load test of the node's fault tolerance",
        )
        admin = request and self._step(self._client, RC_ADMIN)
        grant = admin and self._step(admin.approve, request, days=1)
        for _ in range(3 if grant else 0):
            out = self._step(reader.read, rid, ["address"], "subsistence_review")
            if out:
                with self.load.lock:
                    self.load.reads.append((int(out["receipt"]["seq"]), str(out["receipt"]["eventHash"])))


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while process_alive(pid):
        try:  # our own child: reap it, or it lingers as a zombie
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.02)


def _wait_port(port: int, timeout: float) -> bool:
    """Waits until ``port`` can be listened on again: the sockets of a killed server linger (FIN-WAIT)
    until its clients close their side, which they do at their next request."""
    deadline = time.monotonic() + timeout
    while not port_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _wait_healthy(url: str, timeout: float = 120.0) -> float:
    """Seconds until /health answers ok (and nothing waits to be anchored past its promise)."""
    import httpx

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(url + "/health", timeout=5).json().get("status") == "ok":
                return time.monotonic() - started
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy within {timeout:.0f}s")


def run_faults(
    home: Path,
    *,
    api_kills: int = 50,
    anvil_kills: int = 10,
    pg_seconds: float = 10.0,
    database: str | None = None,
    seed: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Runs the three fault phases on a fresh system under ``home``; returns the figures."""
    from ledger.config import Settings
    from ledger.local.api_processes import ApiProcess
    from ledger.local.system import up

    rng = random.Random(seed)
    tag = f"ledger-faults-{os.urandom(4).hex()}"
    if database and database.startswith("postgres"):  # its connections, and only its, are terminated below
        database += ("&" if "?" in database else "?") + f"application_name={tag}"
    settings = Settings(home=home, node_port=free_port(), database_url=database)
    progress("local system: anvil, contracts, demo consortium")
    up(settings)
    api = ApiProcess(home, "rc-east")
    try:
        port = free_port()
        env = {
            "LEDGER_NODE_PORT": str(settings.node_port),
            "LEDGER_API_TOKEN_SECRET": os.urandom(24).hex(),
            "LEDGER_TRAIL_BATCH_INTERVAL": "0.5",
            "LEDGER_TX_STUCK_AFTER": "5",
        }
        if database:
            env["DATABASE_URL"] = database
        url = api.up(port, env=env).url
        load = Load()
        driver = Driver(lambda: url, load, seed)

        def restart_api() -> None:
            nonlocal port, url
            if not _wait_port(port, 5):  # its socket outlived it: the node comes back elsewhere, as an operator would do
                port = free_port()
            url = api.up(port, env=env).url

        driver.thread.start()
        figures: dict[str, Any] = {}
        try:

            def api_pid() -> int | None:
                info = api.info()
                return info.pid if info else None

            def node_pid() -> int | None:
                info = node.running()
                return info.pid if info else None

            def restart_node() -> None:
                node.up(settings.node_spec)  # waits for the dead node's lingering sockets to go

            node = LocalNode(home)
            for name, kills, pid_of, restart, pause in (
                ("api", api_kills, api_pid, restart_api, (0.3, 2.0)),
                ("anvil", anvil_kills, node_pid, restart_node, (0.5, 2.5)),
            ):
                recoveries = []
                for i in range(kills):
                    time.sleep(rng.uniform(*pause))
                    progress(f"SIGKILL {name} ({i + 1}/{kills})")
                    pid = pid_of()
                    assert pid is not None, f"{name} is not running"
                    _killpg(pid)
                    started = time.monotonic()
                    restart()
                    _wait_healthy(url)
                    recoveries.append(time.monotonic() - started)
                figures[name] = {"kills": kills, **_spread(recoveries)}

            if database and database.startswith("postgres"):
                progress(f"terminate the node's PostgreSQL connections for {pg_seconds:.0f}s")
                before = Counter(load.statuses)
                terminated = _terminate_connections(database, tag, pg_seconds)
                after = load.statuses - before
                figures["postgresql"] = {
                    "seconds": pg_seconds,
                    "connectionsTerminated": terminated,
                    "refusedByStatus": dict(sorted(after.items())),
                    "serverErrors": sum(n for s, n in after.items() if s >= 500 and s != 503),
                    "recoverySeconds": round(_wait_healthy(url), 2),
                }
        finally:
            driver.stop.set()
            driver.thread.join(timeout=60)
        progress("draining the trail, then checking what the client was told")
        _wait_anchored(url)
        figures.update(_check(settings, url, load, database))
        figures["load"] = {
            "calls": sum(load.outcomes.values()),
            "outcomes": dict(load.outcomes.most_common()),
            "recordsConfirmed": len(load.records),
            "readsAnswered": len(load.reads),
        }
        return figures
    finally:  # whatever happened, nothing of this run is left running
        api.down()
        LocalNode(home).down()


def _spread(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"recoveryMedianSeconds": None, "recoveryMaxSeconds": None}
    return {"recoveryMedianSeconds": round(statistics.median(values), 2), "recoveryMaxSeconds": round(max(values), 2)}


def _wait_anchored(url: str, timeout: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        trail = httpx.get(url + "/health", timeout=5).json()["trail"]
        if trail["unanchored"] == 0:
            return
        time.sleep(0.3)
    raise TimeoutError("the trail was not anchored in time")


def _terminate_connections(database: str, tag: str, seconds: float) -> int:
    import psycopg

    from ledger.store.db import normalise_url

    plain = normalise_url(database).replace("postgresql+psycopg://", "postgresql://")
    killed = 0
    deadline = time.monotonic() + seconds
    with psycopg.connect(plain.split("?")[0], autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid <> pg_backend_pid()",
                (tag,),
            ).fetchall()
            killed += sum(1 for (ok,) in rows if ok)
            time.sleep(0.5)
    return killed


def _check(settings: Any, url: str, load: Load, database: str | None) -> dict[str, Any]:
    from hexbytes import HexBytes
    from sqlalchemy import create_engine, text

    from ledger.chain.deploy import Contracts
    from ledger.chain.records import RecordStatus
    from ledger.ids import code_id
    from ledger.local.system import open_chain
    from ledger.store.db import normalise_url

    body = "0x" + code_id("rc-east").hex()
    engine = create_engine(normalise_url(database or settings.store_url("rc-east")))
    with engine.connect() as conn:
        stored = {r for (r,) in conn.execute(text("SELECT record_id FROM records"))}
        events: dict[int, str] = dict(
            conn.execute(text("SELECT seq, event_hash FROM access_events WHERE body = :b"), {"b": body}).all()
        )
    engine.dispose()
    c = Contracts.of(open_chain(settings))
    lost = [
        r
        for r in load.records
        if r not in stored or c.records.get_record(bytes(HexBytes(r))).status is not RecordStatus.ACTIVE
    ]
    without_event = [seq for seq, h in load.reads if events.get(seq) != h]
    handle, me = c.trail.handle, bytes(HexBytes(body))
    ranges = sorted(
        [(int(e["firstSeq"]), int(e["lastSeq"])) for e in handle.logs("AccessBatchAnchored", body=me)]
        + [(int(e["seq"]), int(e["seq"])) for e in handle.logs("AccessEventAnchored", body=me)]
    )
    overlaps = sum(1 for a, b in zip(ranges, ranges[1:], strict=False) if b[0] <= a[1])
    covered = sum(b - a + 1 for a, b in ranges)
    return {
        "recordsLost": len(lost),
        "readsWithoutEvent": len(without_event),
        "duplicateAnchors": overlaps,
        "eventsAnchored": covered,
        "eventsStored": len(events),
    }
