"""``ledger bench``: figures measured on a real node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ledger.cli.common import fail, out, progress, run
from ledger.errors import BadArgument

bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)


@bench_app.command("gas")
def bench_gas(
    rpc: Annotated[Optional[str], typer.Option(help="Measure on this node instead of a fresh anvil")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Gas used by each on-chain action (admit, register, request, approve, revoke, posts, anchors)."""
    from rich.table import Table

    from bench.gas import run_gas_bench

    figures = run(lambda: run_gas_bench(rpc_url=rpc, progress=progress))
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {"action": f.action, "gas": f.gas, "events": f.events, "gasPerEvent": round(f.per_event, 1)}
                    for f in figures
                ]
            )
        )
        return
    table = Table("action", "gas", "events", "gas / event", title="Gas used (fresh anvil, shanghai)")
    for f in figures:
        per = f"{f.per_event:,.1f}" if f.events > 1 or "anchor" in f.action or "event" in f.action else ""
        table.add_row(f.action, f"{f.gas:,}", str(f.events) if per else "", per)
    out.print(table)
    out.print("Reference: a bytes32 stored in a mapping plus an event costs about 46k gas; an event-only log about 25k.")


@bench_app.command("cli")
def bench_cli(
    repeats: Annotated[int, typer.Option(min=1, max=50, help="Runs of each command; the median is shown")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """How long the `ledger` command takes to start: --help and client commands, beside the bare
    interpreter and the eager imports of old (medians of repeats, whole processes)."""
    from rich.table import Table

    from bench.gas import measure_cli_start

    figures = measure_cli_start(repeats=repeats, progress=progress)
    base = figures[0].seconds
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {"command": f.command, "seconds": round(f.seconds, 3), "pythonWork": round(f.seconds - base, 3)}
                    for f in figures
                ]
            )
        )
        return
    table = Table("command", "wall (s)", "beyond the interpreter (s)", title=f"ledger start-up, median of {repeats}")
    for f in figures:
        table.add_row(f.command, f"{f.seconds:.3f}", f"{f.seconds - base:.3f}")
    out.print(table)
    out.print("Client commands are timed against a closed port: the figure is Python's work, not the network's.")


@bench_app.command("faults")
def bench_faults(
    api_kills: Annotated[int, typer.Option(min=0, max=500, help="SIGKILLs of the API")] = 50,
    anvil_kills: Annotated[int, typer.Option(min=0, max=100, help="SIGKILLs of anvil")] = 10,
    pg_seconds: Annotated[
        float,
        typer.Option(min=0, max=600, help="Seconds of terminated PostgreSQL connections (with --database postgresql://…)"),
    ] = 10.0,
    database: Annotated[
        Optional[str], typer.Option(help="The node's database; PostgreSQL adds the connection phase. Default: SQLite")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random kill moments")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The node under a mixed load (registrations, requests, approvals, reads) while the API and anvil are
    SIGKILLed at random moments and PostgreSQL connections are terminated: records lost, reads without an
    event, duplicate anchors (each should be 0) and the time each recovery took. Runs a system of its own."""
    import tempfile
    from pathlib import Path

    from bench.faults import run_faults

    with tempfile.TemporaryDirectory(prefix="ledger-faults-") as tmp:
        figures = run(
            lambda: run_faults(
                Path(tmp) / "home",
                api_kills=api_kills,
                anvil_kills=anvil_kills,
                pg_seconds=pg_seconds,
                database=database,
                seed=seed,
                progress=progress,
            )
        )
    if as_json:
        out.print_json(json.dumps(figures))
        return
    from rich.table import Table

    table = Table("figure", "value", title="Faults under load")
    for name in ("recordsLost", "readsWithoutEvent", "duplicateAnchors", "eventsStored", "eventsAnchored"):
        table.add_row(name, str(figures[name]))
    for phase in ("api", "anvil", "postgresql"):
        if phase in figures:
            table.add_row(phase, json.dumps(figures[phase]))
    table.add_row("load", json.dumps(figures["load"]))
    out.print(table)


@bench_app.command("reads")
def bench_reads(
    seconds: Annotated[float, typer.Option(min=1, max=120, help="Seconds of load per run")] = 5,
    repeats: Annotated[int, typer.Option(min=1, max=15, help="Runs per point; the median is shown")] = 3,
    clients: Annotated[str, typer.Option(help="Concurrent clients, comma-separated")] = "1,16,64",
    database: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    workers: Annotated[int, typer.Option(min=1, max=8, help="uvicorn workers of both servers")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Audited reads/s, p50 and p99 beside the unaudited read of the same record (same stack, no trail, no
    chain question), driven by wrk with pre-signed requests; on a system of its own."""
    from rich.table import Table

    from bench.reads import run_reads_bench

    try:
        counts = [int(c) for c in clients.split(",")]
    except ValueError:
        fail(BadArgument("--clients takes whole numbers separated by commas, e.g. 1,16,64"))
    if database not in ("sqlite", "postgresql", "both"):
        fail(BadArgument("--database is sqlite, postgresql or both"))
    dbs = ["sqlite", "postgresql"] if database == "both" else [database]
    figures = run(
        lambda: run_reads_bench(
            databases=dbs, clients=counts, seconds=seconds, repeats=repeats, workers=workers, progress=progress
        )
    )
    if as_json:
        out.print_json(json.dumps(figures))
        return
    table = Table(
        "database",
        "clients",
        "audited reads/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "unaudited reads/s",
        "p50 ms",
        "p99 ms",
        "ratio",
        "wrk CPU",
        title=f"Reads, median of {repeats} × {seconds:g} s",
    )
    for p in figures["points"]:
        a, u = p["audited"], p["unaudited"]
        table.add_row(
            p["database"],
            str(p["clients"]),
            f"{a['reads_per_s']:,.0f}",
            f"{a['p50_ms']:.1f}",
            f"{a['p99_ms']:.1f}",
            str(a["errors"]),
            f"{u['reads_per_s']:,.0f}",
            f"{u['p50_ms']:.1f}",
            f"{u['p99_ms']:.1f}",
            f"{p['ratio']:.2f}",
            f"{max(a['wrk_cpu'], u['wrk_cpu']):.0%}",
        )
    out.print(table)


@bench_app.command("writes")
def bench_writes(
    one_by_one: Annotated[int, typer.Option(min=1, max=100, help="Records registered one by one")] = 10,
    pipelined: Annotated[int, typer.Option(min=1, max=20_000, help="Records staged, then sent pipelined")] = 400,
    imported: Annotated[int, typer.Option("--import", min=1, max=100_000, help="Records imported from a file")] = 2000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Registrations per second at 1-second blocks: one by one, pipelined, and `records import`, with the
    bound the block gas limit sets; on a system of its own."""
    from rich.table import Table

    from bench.writes import run_writes_bench

    figures = run(lambda: run_writes_bench(one_by_one=one_by_one, pipelined=pipelined, imported=imported, progress=progress))
    if as_json:
        out.print_json(json.dumps(figures))
        return
    table = Table("how", "records", "registrations/s", title="Registrations at 1-second blocks")
    for key, name in (
        ("oneByOne", "one by one (records add)"),
        ("pipelined", "staged, then sent pipelined"),
        ("import", "records import"),
    ):
        table.add_row(name, str(figures[key]["records"]), f"{figures[key]['perSecond']:,.1f}")
    out.print(table)
    out.print(
        f"Bound: block gas limit {figures['gasLimit']:,} / {figures['gasPerRegistration']:,} gas a registration "
        f"= {figures['gasBoundPerSecond']:,.0f} registrations a second."
    )


@bench_app.command("performance")
def bench_performance(
    seconds: Annotated[float, typer.Option(min=1, max=120, help="Seconds of load per run")] = 5,
    repeats: Annotated[int, typer.Option(min=1, max=15, help="Runs per point")] = 3,
    database: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    imported: Annotated[int, typer.Option("--import", min=1, max=100_000, help="Records of the import run")] = 2000,
    trail_events: Annotated[
        int, typer.Option(min=1000, max=10_000_000, help="Events behind the resident's trail query")
    ] = 1_000_000,
    audit_events: Annotated[int, typer.Option(min=1000, max=10_000_000, help="Events of the audit run")] = 1_000_000,
    docs: Annotated[Path, typer.Option(help="Folder of PERFORMANCE.md and performance.json")] = Path("docs"),
) -> None:
    """Every comparison in one run: reads (audited beside unaudited, SQLite and PostgreSQL), accept → anchored,
    gas per access event, registrations, indexer catch-up and audit, a resident's trail query; writes
    PERFORMANCE.md and performance.json."""
    from bench.report import run_performance, write

    if database not in ("sqlite", "postgresql", "both"):
        fail(BadArgument("--database is sqlite, postgresql or both"))
    dbs = ["sqlite", "postgresql"] if database == "both" else [database]
    figures = run(
        lambda: run_performance(
            seconds=seconds,
            repeats=repeats,
            databases=dbs,
            imported=imported,
            trail_events=trail_events,
            audit_events=audit_events,
            progress=progress,
        )
    )
    out.print(f"wrote {write(figures, docs)}")


@bench_app.command("audit")
def bench_audit(
    events: Annotated[int, typer.Option(min=1000, max=10_000_000, help="Access events audited")] = 1_000_000,
    records: Annotated[int, typer.Option(min=1, max=100_000, help="Records the reads are spread over")] = 1000,
    requests: Annotated[
        int,
        typer.Option(min=1, max=100_000, help="Access requests and approvals on the chain beside them (for the indexer)"),
    ] = 2000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Audit worker processes")] = 2,
    database: Annotated[str, typer.Option(help="postgresql or sqlite")] = "postgresql",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The indexer catching up with a chain it has never seen (logs/s), and the full audit of EVENTS access
    events (as `ledger audit`: it must pass); on a system of its own."""
    from bench.audit import run_audit_bench

    if database not in ("sqlite", "postgresql"):
        fail(BadArgument("--database is sqlite or postgresql"))
    figures = run(
        lambda: run_audit_bench(
            database=database, events=events, records=records, requests=requests, workers=workers, progress=progress
        )
    )
    if as_json:
        out.print_json(json.dumps(figures))
        return
    ix, au = figures["index"], figures["audit"]
    out.print(
        f"indexer catch-up: {ix['logs']:,} logs of {ix['blocks']:,} blocks in {ix['seconds']} s "
        f"({ix['logsPerSecond']:,} logs/s, {ix['blocksPerSecond']:,} blocks/s)"
    )
    out.print(
        f"audit of {au['events']:,} events on {figures['database']}: {au['seconds']} s "
        f"({au['eventsPerSecond']:,.0f} events/s, {au['workers']} workers); it passed"
    )


@bench_app.command("nodes")
def bench_nodes(
    reads: Annotated[int, typer.Option(min=10, max=10_000, help="Reads each way")] = 200,
    events: Annotated[int, typer.Option(min=1, max=1000, help="Reads of the resident at each node")] = 10,
    trails: Annotated[int, typer.Option(min=5, max=10_000, help="Trails asked each way")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """On four bodies' nodes of a system of its own: a read through the reader's own node (forwarded to the
    custodian's) beside the same read at the custodian's node (p50 and p95 of POST /reads); a resident's trail
    merged across the four nodes beside their trail at their committee's node alone."""
    from bench.nodes import run_nodes_bench

    figures = run(lambda: run_nodes_bench(reads=reads, events=events, trails=trails, progress=progress))
    if as_json:
        out.print_json(json.dumps(figures))
        return
    d, f = figures["direct"], figures["forwarded"]
    out.print(
        f"direct at the custodian's node: p50 {d['p50ms']} ms, p95 {d['p95ms']} ms; through the reader's "
        f"node: p50 {f['p50ms']} ms, p95 {f['p95ms']} ms ({figures['ratio']}x), {figures['reads']} reads each"
    )
    tr = figures["trail"]
    out.print(
        f"a resident's trail at the committee's node alone ({tr['events']['oneNode']} events): p50 "
        f"{tr['oneNode']['p50ms']} ms, p95 {tr['oneNode']['p95ms']} ms; merged across {tr['nodes']} nodes "
        f"({tr['events']['merged']} events): p50 {tr['merged']['p50ms']} ms, p95 {tr['merged']['p95ms']} ms "
        f"({tr['ratio']}x), {tr['trails']} trails each"
    )


@bench_app.command("trail")
def bench_trail(
    events: Annotated[int, typer.Option(min=1000, max=10_000_000, help="Access events written")] = 1_000_000,
    subjects: Annotated[int, typer.Option(min=1, help="Residents they are spread over")] = 50_000,
    queries: Annotated[int, typer.Option(min=10, max=100_000, help="Residents' trails asked")] = 1000,
    database: Annotated[str, typer.Option(help="postgresql or sqlite")] = "postgresql",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """A resident's trail query (newest page, count, anchors) with EVENTS events in the database: p50, p99; and the
    same query leaving out the reads of the seals in force (1% of the reads sealed), in turn, and the ratio."""
    from bench.trail import run_trail_bench

    if database not in ("sqlite", "postgresql"):
        fail(BadArgument("--database is sqlite or postgresql"))
    figures = run(
        lambda: run_trail_bench(database=database, events=events, subjects=subjects, queries=queries, progress=progress)
    )
    if as_json:
        out.print_json(json.dumps(figures))
        return
    out.print(
        f"{figures['database']}: {figures['events']:,} events over {figures['subjects']:,} residents "
        f"(about {figures['eventsPerResident']} on a page): a resident's trail in p50 {figures['p50ms']} ms, "
        f"p99 {figures['p99ms']} ms over {figures['queries']:,} residents; with 1% of the reads sealed and half the "
        f"seals in force (their reads left out): p50 {figures['sealedP50ms']} ms, p99 {figures['sealedP99ms']} ms "
        f"({figures['sealedRatio']}x)"
    )


@bench_app.command("watchdog")
def bench_watchdog(
    events: Annotated[int, typer.Option(min=10_000, max=10_000_000, help="Access events the rules read")] = 1_000_000,
    readers: Annotated[int, typer.Option(min=20, max=100_000, help="Officers the reads are spread over")] = 500,
    repeats: Annotated[int, typer.Option(min=1, max=20, help="Runs (the median is printed)")] = 3,
    database: Annotated[str, typer.Option(help="postgresql or sqlite")] = "postgresql",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The watchdog's five rules over EVENTS access events of 28 days with one pattern of each planted: the
    time to load them and the rules' time (medians); it fails unless exactly the planted five are found."""
    from bench.watchdog import run_watchdog_bench

    if database not in ("sqlite", "postgresql"):
        fail(BadArgument("--database is sqlite or postgresql"))
    figures = run(
        lambda: run_watchdog_bench(database=database, events=events, readers=readers, repeats=repeats, progress=progress)
    )
    if as_json:
        out.print_json(json.dumps(figures))
        return
    out.print(
        f"the watchdog over {figures['events']:,} events on {figures['database']}: load {figures['loadSeconds']} s, "
        f"rules {figures['rulesSeconds']} s, {figures['totalSeconds']} s in all ({figures['eventsPerSecond']:,} "
        f"events/s, median of {figures['repeats']}); found the {len(figures['alerts'])} planted patterns"
    )


@bench_app.command("posts")
def bench_posts(
    clients: Annotated[int, typer.Option(min=1, max=256, help="wrk connections")] = 16,
    seconds: Annotated[float, typer.Option(min=1, max=120, help="Seconds of each run")] = 5,
    repeats: Annotated[int, typer.Option(min=1, max=20, help="Runs per reader (the median is printed)")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Audited reads/s with and without the post and grid checks, in one run: a grant bound to no post beside
    one bound to the reader's assignment; an own-body read by a whole-body post beside a grid worker's."""
    from bench.posts import run_posts_bench

    figures = run(lambda: run_posts_bench(clients=clients, seconds=seconds, repeats=repeats, progress=progress))
    if as_json:
        out.print_json(json.dumps(figures))
        return
    for name, p in figures["points"].items():
        out.print(
            f"{name:28} {p['reads_per_s']:8.1f} reads/s  p50 {p['p50_ms']:.1f} ms  p99 {p['p99_ms']:.1f} ms  "
            f"checkAccess {p['checkGas']:,} gas"
        )
    r = figures["ratios"]
    out.print(f"post-bound grant / unbound: {r['postBoundGrant']}x; grid worker / whole-body post: {r['gridWorker']}x")


@bench_app.command("notices")
def bench_notices(
    reads: Annotated[int, typer.Option(min=5, max=10_000, help="Reads paced for the delay")] = 100,
    pace: Annotated[float, typer.Option(min=0, max=10, help="Seconds between those reads")] = 0.1,
    burst: Annotated[int, typer.Option(min=10, max=100_000, help="Reads held back while the gateway is down")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Notices to residents: the delay from a read to its notice at a local gateway (p50, p95), beside the pass
    interval alone; and notices delivered per second when a backlog drains after the gateway was down, beside the
    same notices POSTed straight to the gateway."""
    from bench.notices import run_notices_bench

    figures = run(lambda: run_notices_bench(reads=reads, pace=pace, burst=burst, progress=progress))
    if as_json:
        out.print_json(json.dumps(figures))
        return
    interval = figures["intervalS"]
    out.print(
        f"read to notice: p50 {figures['delayP50s']} s, p95 {figures['delayP95s']} s over {figures['reads']} reads "
        f"(baseline, the {interval} s pass interval alone: p50 {interval / 2} s, p95 {round(0.95 * interval, 2)} s); "
        f"a backlog of {figures['burst']} drained in {figures['drainSeconds']} s ({figures['noticesPerSecond']} notices/s; "
        f"baseline, the same notices POSTed straight to the gateway: {figures['directPerSecond']}/s; {figures['ratio']}x)"
    )


@bench_app.command("consortium-pages")
def bench_consortium_pages(
    events: Annotated[int, typer.Option(min=10, max=100_000, help="Reads of the resident's record")] = 1000,
    repeats: Annotated[int, typer.Option(min=1, max=15, help="Runs of each; the median is shown")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """In Chromium, on seven nodes of its own: the resident's page until every entry of its first page is verified,
    beside the API call behind it; the auditor's consortium dashboard until drawn, beside one node's."""
    from bench.consortium_pages import run_portal_bench

    figures = run(lambda: run_portal_bench(events=events, repeats=repeats, progress=progress))
    if as_json:
        out.print_json(json.dumps(figures))
        return
    r, d = figures["resident"], figures["dashboard"]
    out.print(
        f"resident, {figures['events']:,} reads: the API call {r['apiMs']} ms; all {r['entries']} entries of the "
        f"first page verified in the browser {r['allVerifiedMs']} ms ({r['perEntryMs']} ms an entry)\n"
        f"auditor's dashboard: every node's ({figures['nodes']}) {d['consortium']} ms to draw, one node's "
        f"{d['oneNode']} ms (×{d['ratio']}); medians of {figures['repeats']}"
    )
