"""``ledger bench reads``: audited reads against the unaudited read of the same record, side by side.

On a system of its own (anvil with 1-second blocks, the demo consortium, rc-east's node on SQLite or
PostgreSQL), a civil affairs officer holds a grant on a fresh record. Two servers answer the same
signed ``POST /reads`` body:

* **audited**: the node itself (``ledger serve``): membership and the access rule at the chain's
  head, the record decrypted and verified, the access event committed, a signed receipt;
* **unaudited**: the same stack (FastAPI, the same middlewares, the same token check, signature
  recovery, decryption and disclosure bundle) with no trail and no chain question —
  :func:`bench.baseline.baseline_app`, started only by this benchmark. Its ratio to it is the price of the audit.

Load comes from Debian's ``wrk`` (compiled, one thread, keep-alive connections) sending bodies
signed beforehand, each a fresh ``ReadRequest`` (a replayed one would be refused); its CPU time is
measured too, to show it is not the bottleneck. Each point is the median of ``repeats`` runs,
baseline and audited alternating within a repeat, so both see the same machine.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import coincurve

from ledger.errors import BadArgument, NodeError

TOKEN_SECRET = "benchmark-only token secret: " + "x" * 16
RC_OFFICER, RC_ADMIN, CA_OFFICER, AUDITOR = 6, 4, 12, 18
HOUSEHOLD = {
    "head_of_household": "Bench Resident",
    "address": "Bench Lane 1",
    "members": 2,
    "phone": None,
    "housing_type": "rented",
    "income_band": "low",
}
BENCH_NATIONAL_ID = "11010519800101123"  # invented; the check character is added below

_WRK_SCRIPT = r"""
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  bodies = {}
  local n, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % n == id then bodies[#bodies + 1] = line end
    i = i + 1
  end
  idx = 0
end
function request()
  idx = idx + 1
  return wrk.format("POST", nil, nil, bodies[((idx - 1) % #bodies) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests": %d, "durationUs": %d, "non2xx": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "timeout": %d, "p50": %d, "p90": %d, "p99": %d, "max": %d}\n', summary.requests,
    summary.duration, e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Run:
    target: str  # audited or unaudited
    clients: int
    reads_per_s: float
    ok: int
    errors: int
    p50_ms: float
    p99_ms: float
    wrk_cpu: float  # share of one core the load generator used


@dataclass(frozen=True)
class Point:
    database: str
    clients: int
    audited: Run
    unaudited: Run

    @property
    def ratio(self) -> float:
        return self.audited.reads_per_s / self.unaudited.reads_per_s if self.unaudited.reads_per_s else 0.0


def _median_run(runs: list[Run]) -> Run:
    mid = sorted(runs, key=lambda r: r.reads_per_s)[len(runs) // 2]
    return Run(
        mid.target,
        mid.clients,
        statistics.median(r.reads_per_s for r in runs),
        sum(r.ok for r in runs),
        sum(r.errors for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        statistics.median(r.wrk_cpu for r in runs),
    )


class Signer:
    """Signs fresh copies of one prepared ``ReadRequest`` (new nonce each) with the reader's key."""

    def __init__(self, typed: dict[str, Any], key: bytes) -> None:
        self.typed = typed
        self.key = coincurve.PrivateKey(key)

    def bodies(self, n: int) -> list[bytes]:
        from ledger.access.reads import message_digest

        domain, out = self.typed["domain"], []
        for _ in range(n):
            message = {**self.typed["message"], "nonce": "0x" + secrets.token_hex(32)}
            digest = message_digest(message, chain_id=domain["chainId"], verifying_contract=domain["verifyingContract"])
            raw = self.key.sign_recoverable(digest, hasher=None)
            signature = "0x" + raw[:64].hex() + f"{raw[64] + 27:02x}"
            out.append(
                json.dumps(
                    {"typedData": {**self.typed, "message": message}, "signature": signature}, separators=(",", ":")
                ).encode()
            )
        return out


def wrk(url: str, token: str, bodies: list[bytes], *, clients: int, seconds: float, workdir: Path) -> dict[str, Any]:
    """One wrk run; its summary, and the share of one core wrk used."""
    script, data = workdir / "reads.lua", workdir / "bodies.jsonl"
    script.write_text(_WRK_SCRIPT)
    data.write_bytes(b"\n".join(bodies) + b"\n")
    cmd = [
        shutil.which("wrk") or "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        "-H",
        "Content-Type: application/json",
        "-H",
        f"Authorization: Bearer {token}",
        url + "/reads",
        "--",
        str(data),
        "1",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)  # noqa: S603
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise NodeError(f"wrk failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    summary: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    summary["cpu"] = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / wall
    return summary


def _run(target: str, url: str, token: str, bodies: list[bytes], clients: int, seconds: float, workdir: Path) -> Run:
    s = wrk(url, token, bodies, clients=clients, seconds=seconds, workdir=workdir)
    errors = s["non2xx"] + s["connect"] + s["read"] + s["write"] + s["timeout"]
    return Run(
        target,
        clients,
        (s["requests"] - errors) / (s["durationUs"] / 1e6),
        s["requests"] - errors,
        errors,
        s["p50"] / 1000,
        s["p99"] / 1000,
        round(s["cpu"], 2),
    )


@dataclass
class BenchSystem:
    audited: str
    unaudited: str
    token: str
    signer: Signer
    events: Callable[[], int]
    anchor_latency: Callable[[], dict[str, Any]]
    rpc_url: str = ""
    record_id: str = ""


@contextmanager
def bench_system(
    home: Path, database: str | None, *, workers: int = 1, progress: Callable[[str], None] = lambda _: None
) -> Iterator[BenchSystem]:
    """anvil (1-second blocks), the demo, rc-east's node and the unaudited server; a granted record."""
    from ledger.client.api_client import ApiClient
    from ledger.config import Settings
    from ledger.crypto.subjects import check_character
    from ledger.local.api_processes import ApiProcess
    from ledger.local.chain_node import LocalNode, free_port
    from ledger.local.devkeys import dev_account
    from ledger.local.system import up

    settings = Settings(home=home, node_port=free_port())
    progress("starting anvil and the demo consortium")
    with ExitStack() as stack:
        up(settings)
        stack.callback(LocalNode(home).down)
        _rpc(settings.effective_rpc_url, "evm_setIntervalMining", 1)
        env = {
            "LEDGER_HOME": str(home),
            "LEDGER_NODE_PORT": str(settings.node_port),
            "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET,
            "LEDGER_API_TOKEN_TTL": "3600",
            "LEDGER_API_NONCE_ATTEMPTS": "1000",
            "LEDGER_API_WORKERS": str(workers),
        }
        if database:
            env["DATABASE_URL"] = database
        progress("starting rc-east's node (audited) and the unaudited server")
        api = ApiProcess(home, "rc-east")
        stack.callback(api.down)
        url = api.up(free_port(), env={**os.environ, **env}).url
        unaudited = stack.enter_context(_baseline_server(home, {**os.environ, **env}, workers))
        progress("a record, an access request and its approval")
        nid = BENCH_NATIONAL_ID + check_character(BENCH_NATIONAL_ID)
        officer = ApiClient(url, dev_account(RC_OFFICER))
        officer.login()
        record_id = officer.register_record("household", nid, HOUSEHOLD)
        reader = ApiClient(url, dev_account(CA_OFFICER))
        token = str(reader.login()["accessToken"])
        request_id = reader.request_access(
            scope="record",
            recordId=record_id,
            fields=["address", "income_band"],
            purpose="subsistence_review",
            justification="benchmark",
        )
        admin = ApiClient(url, dev_account(RC_ADMIN))
        admin.login()
        admin.approve(request_id, days=30)
        typed = reader.prepare_read(record_id, ["address", "income_band"], "subsistence_review")

        def events() -> int:
            import httpx

            text = httpx.get(url + "/metrics", timeout=10).text
            return int(float(next(x for x in text.splitlines() if x.startswith("ledger_trail_events ")).split()[1]))

        auditor = ApiClient(url, dev_account(AUDITOR))
        auditor.login()

        def anchor_latency() -> dict[str, Any]:
            """Accept → anchored of the latest 2,000 events (the auditors' dashboard), once all are anchored."""
            import httpx

            deadline = time.monotonic() + 120
            while True:
                text = httpx.get(url + "/metrics", timeout=10).text
                if (
                    next(x for x in text.splitlines() if x.startswith("ledger_trail_unanchored_events ")).split()[1]
                    in ("0", "0.0")
                    or time.monotonic() > deadline
                ):
                    break
                time.sleep(0.5)
            return dict(auditor.request("GET", "/audit/dashboard", params={"days": 1})["latencySeconds"])

        yield BenchSystem(
            url,
            unaudited,
            token,
            Signer(typed, bytes(dev_account(CA_OFFICER).key)),
            events,
            anchor_latency,
            settings.effective_rpc_url,
            record_id,
        )


@contextmanager
def _baseline_server(home: Path, env: dict[str, str], workers: int) -> Iterator[str]:
    import httpx

    from ledger.local.chain_node import free_port
    from ledger.toolchain import project_root

    port = free_port()
    log = open(home / "unaudited.log", "ab")  # noqa: SIM115 — closed below
    cmd = [
        str(Path(os.sys.executable)),  # type: ignore[attr-defined]
        "-m",
        "uvicorn",
        "--factory",
        "bench.baseline:baseline_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(
        cmd,
        env={**env, "LEDGER_BODY": "rc-east"},
        stdout=log,
        stderr=subprocess.STDOUT,  # noqa: S603
        cwd=project_root(),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise NodeError(f"the unaudited server did not start: {(home / 'unaudited.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
        log.close()


def _rpc(url: str, method: str, *params: object) -> Any:
    import httpx

    return (
        httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10)
        .json()
        .get("result")
    )


def run_reads_bench(
    *,
    databases: list[str],
    clients: list[int],
    seconds: float,
    repeats: int,
    workers: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every (database, clients) point, audited beside unaudited; the events written match the reads."""
    if shutil.which("wrk") is None:
        raise BadArgument("the reads benchmark needs Debian's wrk: apt-get install wrk (scripts/setup does)")
    points: list[Point] = []
    checks: list[dict[str, Any]] = []
    latency: dict[str, Any] = {}
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp, ExitStack() as stack:
            url = None
            if database == "postgresql":
                url = stack.enter_context(_pg_schema())
            system = stack.enter_context(bench_system(Path(tmp) / "home", url, workers=workers, progress=progress))
            work = Path(tmp)
            for n in clients:
                audited, unaudited = [], []
                for r in range(repeats):
                    progress(f"{database}: {n} clients, repeat {r + 1} of {repeats}")
                    bodies = system.signer.bodies(int(seconds * 4000) + 1000)
                    unaudited.append(_run("unaudited", system.unaudited, system.token, bodies, n, seconds, work))
                    before = system.events()
                    run = _run("audited", system.audited, system.token, bodies, n, seconds, work)
                    audited.append(run)
                    checks.append(
                        {"database": database, "clients": n, "answered": run.ok, "eventsWritten": system.events() - before}
                    )
                points.append(Point(database, n, _median_run(audited), _median_run(unaudited)))
            progress(f"{database}: waiting for the trail to be anchored")
            latency[database] = system.anchor_latency()
    return {
        "seconds": seconds,
        "repeats": repeats,
        "workers": workers,
        "cores": os.cpu_count(),
        "points": [{**asdict(p), "ratio": round(p.ratio, 3)} for p in points],
        "checks": checks,
        "acceptToAnchored": latency,
    }


@contextmanager
def _pg_schema() -> Iterator[str]:
    import psycopg

    base = os.environ.get("LEDGER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    schema = "bench_" + secrets.token_hex(4)
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error as exc:
        raise BadArgument(f"PostgreSQL is not reachable at {base} (LEDGER_BENCH_POSTGRES): {exc}") from exc
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
