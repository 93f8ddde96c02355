"""``ledger bench performance``: every comparison of issues 11 and 12 in one run, written to docs/PERFORMANCE.md
(a table per comparison, and how to reproduce it) and docs/performance.json."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run_performance(
    *,
    seconds: float,
    repeats: int,
    databases: list[str],
    imported: int,
    trail_events: int,
    audit_events: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    from bench.gas import run_gas_bench
    from bench.reads import run_reads_bench
    from bench.writes import run_writes_bench

    gas = run_gas_bench(progress=progress)
    reads = run_reads_bench(databases=databases, clients=[1, 16, 64], seconds=seconds, repeats=repeats, progress=progress)
    writes = run_writes_bench(imported=imported, progress=progress)
    from bench.trail import run_trail_bench

    trail = run_trail_bench(
        database="postgresql" if "postgresql" in databases else "sqlite",
        events=trail_events,
        subjects=max(1, trail_events // 20),
        queries=1000,
        progress=progress,
    )
    from bench.audit import run_audit_bench

    audit = run_audit_bench(
        database="postgresql" if "postgresql" in databases else "sqlite", events=audit_events, progress=progress
    )
    from bench.nodes import run_nodes_bench

    nodes = run_nodes_bench(progress=progress)
    return {
        "trail": trail,
        "audit": audit,
        "nodes": nodes,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "reads": reads,
        "writes": writes,
        "gas": [
            {"action": g.action, "gas": g.gas, "events": g.events, "gasPerEvent": round(g.per_event, 1)}
            for g in gas
            if "anchor" in g.action or "event" in g.action
        ],
    }


def render(figures: dict[str, Any]) -> str:
    r, w = figures["reads"], figures["writes"]
    lines = [
        "# Performance",
        "",
        f"Measured by `scripts/bench performance` (`ledger bench performance`) on {figures['when'][:10]}, "
        f"{figures['cores']} cores, Python {figures['python']}. These machines are shared and noisy: compare the "
        "columns of one run (each point is the median of its repeats, audited and unaudited alternating), not runs "
        "of different days. The JSON of the same run is [performance.json](performance.json).",
        "",
        "## Audited reads beside the unaudited read",
        "",
        "`POST /reads` with a real grant, against the same request served by the same stack without the audit "
        "(no chain question, no access event, no receipt: `bench/baseline.py`, started only by the "
        f"benchmark). Load from Debian's `wrk` with pre-signed read requests, {r['seconds']:g} s a run, "
        f'{r["repeats"]} runs a point, one uvicorn process per server; "wrk CPU" is the share of one core the '
        "load generator used (it is not the bottleneck when well below 100%).",
        "",
        "| database | clients | audited reads/s | p50 ms | p99 ms | errors | unaudited reads/s | p50 ms | p99 ms "
        "| ratio | wrk CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in r["points"]:
        a, u = p["audited"], p["unaudited"]
        lines.append(
            f"| {p['database']} | {p['clients']} | {a['reads_per_s']:,.0f} | {a['p50_ms']:.1f} | "
            f"{a['p99_ms']:.1f} | {a['errors']} | {u['reads_per_s']:,.0f} | {u['p50_ms']:.1f} | "
            f"{u['p99_ms']:.1f} | {p['ratio']:.2f} | {max(a['wrk_cpu'], u['wrk_cpu']):.0%} |"
        )
    answered = sum(c["answered"] for c in r["checks"])
    written = sum(c["eventsWritten"] for c in r["checks"])
    lines += [
        "",
        f"Every answered read has its event: {answered:,} reads answered, {written:,} events written "
        "(an event more than answers is a read wrk cut off at the end of a run, answered after it stopped "
        "counting).",
        "",
        "## Accept → anchored (1-second blocks, batched)",
        "",
        "| database | p50 s | p95 s | max s |",
        "|---|---:|---:|---:|",
    ]
    for db, lat in r["acceptToAnchored"].items():
        lines.append(f"| {db} | {lat.get('p50')} | {lat.get('p95')} | {lat.get('max')} |")
    lines += [
        "",
        "## Gas per access event: immediate against batched",
        "",
        "| anchoring | events | gas | gas / event |",
        "|---|---:|---:|---:|",
    ]
    for g in figures["gas"]:
        lines.append(f"| {g['action']} | {g['events']:,} | {g['gas']:,} | {g['gasPerEvent']:,.1f} |")
    lines += ["", "## Registrations (1-second blocks)", "", "| how | records | registrations/s |", "|---|---:|---:|"]
    for key, name in (
        ("oneByOne", "one by one (`records add`: send, wait for the block)"),
        ("pipelined", "staged one by one, then sent pipelined"),
        ("import", "`records import` of a JSON Lines file"),
    ):
        lines.append(f"| {name} | {w[key]['records']:,} | {w[key]['perSecond']:,.1f} |")
    lines += [
        "",
        f"Bound at these blocks: gas limit {w['gasLimit']:,} ÷ {w['gasPerRegistration']:,} gas a "
        f"registration = {w['gasBoundPerSecond']:,.0f} registrations a second.",
        "",
        "## A resident's trail with many events",
        "",
        *(
            [
                f"The node's query for a resident's first page (newest 50 events, their count, the anchors holding "
                f"them: `ledger bench trail`) on {figures['trail']['database']} holding "
                f"{figures['trail']['events']:,} events of {figures['trail']['subjects']:,} residents (about "
                f"{figures['trail']['eventsPerResident']} each), over {figures['trail']['queries']:,} residents drawn "
                f"at random: p50 {figures['trail']['p50ms']} ms, p99 {figures['trail']['p99ms']} ms.",
                "",
            ]
            if "trail" in figures
            else []
        ),
        *(_audit(figures["audit"]) if "audit" in figures else []),
        *(_nodes(figures["nodes"]) if "nodes" in figures else []),
        "## Before (for the record)",
        "",
        "The same `wrk` harness, audited reads only, on the code before this work (commit 9200dff) on the "
        "same machine on 2026-12-04, minutes after the figures above were first taken: every read asked "
        "the chain three times through web3 and took its sequence number by `max(seq) + 1`, retried.",
        "",
        "| database | clients | reads/s | p50 ms | p99 ms | failed reads |",
        "|---|---:|---:|---:|---:|---:|",
        "| sqlite | 1 | 38.5 | 24.8 | 51.5 | 0 of 569 |",
        "| sqlite | 16 | 17.6 | 746 | 1,142 | 38 of 292 |",
        "| sqlite | 64 | 7.6 | 3,570 | 4,974 | 60 of 185 |",
        "| postgresql | 1 | 24.6 | 37.5 | 68.9 | 0 of 392 |",
        "| postgresql | 16 | 12.9 | 936 | 1,488 | 34 of 230 |",
        "| postgresql | 64 | 5.6 | 4,756 | 5,015 | 24 of 88 |",
        "",
        "## How to reproduce",
        "",
        "```sh",
        "scripts/bench performance            # all of the above; rewrites this page",
        "scripts/bench reads --clients 1,16,64   # one comparison at a time (also: writes, gas, trail, audit, nodes)",
        "```",
        "",
        "PostgreSQL is the server at 127.0.0.1:5432 (user postgres, database test; `LEDGER_BENCH_POSTGRES` "
        "names another), in a schema of its own that is dropped afterwards. Each comparison starts a system of "
        "its own (anvil, the demo consortium, the node) in a temporary directory.",
        "",
    ]
    return "\n".join(lines)


def _audit(a: dict[str, Any]) -> list[str]:
    ix, au = a["index"], a["audit"]
    return [
        "## Indexer catch-up and the audit of a large trail",
        "",
        f"`ledger bench audit` on {a['database']}: {a['events']:,} access events of {a['records']:,} residents, "
        "each with its own signed read request, written through the trail's group commit "
        f"({a['writeSeconds']} s) and anchored in batches of 10,000 ({a['anchorSeconds']} s); beside them a "
        "district's access requests and approvals at 1-second blocks.",
        "",
        "| figure | count | seconds | per second |",
        "|---|---:|---:|---:|",
        f"| indexer catch-up from nothing: chain logs | {ix['logs']:,} | {ix['seconds']} | {ix['logsPerSecond']:,.0f} |",
        f"| … blocks followed | {ix['blocks']:,} | {ix['seconds']} | {ix['blocksPerSecond']:,.0f} |",
        f"| `ledger audit` (all four checks, {au['workers']} worker processes; it passed) | {au['events']:,} | "
        f"{au['seconds']} | {au['eventsPerSecond']:,.0f} |",
        "",
    ]


def _nodes(n: dict[str, Any]) -> list[str]:
    t = n["trail"]
    return [
        "## Across the consortium's nodes",
        "",
        f"`ledger bench nodes`: {t['nodes']} bodies' nodes (rc-east, rc-west, the subdistrict office and civil "
        "affairs, each with its own SQLite database) on anvil. "
        "A read through the reader's own node, which forwards it to the custodian's node (signed node request, "
        "receipt checked, kept), beside the same read made at the custodian's node; a resident's trail merged "
        "at their committee's node from all four nodes, beside their trail at the committee's node alone. "
        "Alternating, one at a time.",
        "",
        "| figure | count | p50 ms | p95 ms | ratio |",
        "|---|---:|---:|---:|---:|",
        f"| read at the custodian's node | {n['reads']} | {n['direct']['p50ms']} | {n['direct']['p95ms']} | |",
        f"| read through the reader's own node | {n['reads']} | {n['forwarded']['p50ms']} | "
        f"{n['forwarded']['p95ms']} | {n['ratio']} |",
        f"| a resident's trail at one node ({t['events']['oneNode']} events) | {t['trails']} | "
        f"{t['oneNode']['p50ms']} | {t['oneNode']['p95ms']} | |",
        f"| … merged across four nodes ({t['events']['merged']} events) | {t['trails']} | {t['merged']['p50ms']} | "
        f"{t['merged']['p95ms']} | {t['ratio']} |",
        "",
    ]


def write(figures: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "performance.json").write_text(json.dumps(figures, indent=2) + "\n")
    page = folder / "PERFORMANCE.md"
    page.write_text(render(figures))
    return page
