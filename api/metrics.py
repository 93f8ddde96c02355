"""Prometheus metrics of one node: HTTP requests and latencies, reads, denials, anchoring backlog.

Each app has its own registry (no process-global state), served as text at ``/metrics``.
The backlog gauges are read from the database when scraped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ledger.chain.head import Questions
from ledger.store.group_commit import GroupCommit
from ledger.trail.anchor import AnchorStatus


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ledger_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "ledger_http_request_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.reads = Counter("ledger_reads", "Reads served, each with its access event", ["kind"], registry=self.registry)
        self.denials = Counter(
            "ledger_denials", "Requests refused for want of a right (401, 403)", ["code"], registry=self.registry
        )
        self.read_denials = Counter(
            "ledger_read_denials",
            "Reads and read requests refused by the access rules, by the rules' reason",
            ["decision"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "ledger_anchor_outbox_pending", "Record changes stored but not yet anchored", registry=self.registry
        )
        self.events_total = Gauge("ledger_trail_events", "Access events in this node's trail", registry=self.registry)

        self.anchored_through = Gauge(
            "ledger_trail_anchored_seq", "Last sequence number anchored on-chain", registry=self.registry
        )
        self.unanchored = Gauge(
            "ledger_trail_unanchored_events", "Access events not yet anchored on-chain", registry=self.registry
        )
        self.anchor_failures = Gauge(
            "ledger_trail_anchor_failures", "Failed anchoring attempts in a row (0: healthy)", registry=self.registry
        )
        self.anchor_failures_total = Gauge(
            "ledger_trail_anchor_failures_total",
            "Failed anchoring attempts since the process started",
            registry=self.registry,
        )

        self.overdue = Gauge(
            "ledger_trail_anchor_overdue_seconds",
            "How far the oldest unanchored access event is "
            "past the anchorBy its receipt promised (0: every promise kept so far)",
            registry=self.registry,
        )
        self.replaced = Gauge(
            "ledger_tx_replaced_total", "Stuck anchoring transactions replaced (nonce re-read)", registry=self.registry
        )
        self.rewinds = Gauge(
            "ledger_chain_rewinds_total",
            "Times the chain was found to have lost blocks or anchors this node had seen",
            ["seen_by"],
            registry=self.registry,
        )
        self.head = Gauge(
            "ledger_chain_head_block",
            "The chain's head block as this node knows it (reads are decided there)",
            registry=self.registry,
        )
        self.head_age = Gauge(
            "ledger_chain_head_age_seconds",
            "Seconds since the node last heard the head from the "
            "chain: its lag, at most the poll interval while the chain answers",
            registry=self.registry,
        )
        self.questions_answered = Gauge(
            "ledger_chain_questions_answered_total",
            "Chain questions (membership, access rules) answered for requests",
            registry=self.registry,
        )
        self.group_commits = Gauge(
            "ledger_trail_group_commits_total",
            "Transactions that committed access events (each holds every read that waited for it)",
            registry=self.registry,
        )
        self.group_committed = Gauge(
            "ledger_trail_group_committed_events_total", "Access events committed by them", registry=self.registry
        )
        self.questions_asked = Gauge(
            "ledger_chain_questions_asked_total",
            "Of those, asked of the chain (the rest came from the answers of the same block)",
            registry=self.registry,
        )

        self.watchdog_alerts = Gauge(
            "ledger_watchdog_alerts",
            "The watchdog's alerts at its last run, by scope (this node's trail, or the consortium's at the "
            "auditor's node), rule and state (open, acknowledged, escalated)",
            ["scope", "rule", "state"],
            registry=self.registry,
        )
        self.notices_pending = Gauge(
            "ledger_notices_pending", "Notices to residents not yet delivered to the gateway", registry=self.registry
        )
        self.notices_delivered = Gauge(
            "ledger_notices_delivered_total", "Notices delivered by this process since it started", registry=self.registry
        )
        self.watchdog_runs = Counter(
            "ledger_watchdog_runs", "Runs of the watchdog's rules", ["scope"], registry=self.registry
        )

    def watch_notices(self, outbox: Any, delivery: Any) -> None:
        self.notices_pending.set_function(outbox.pending)
        self.notices_delivered.set_function(lambda: delivery.delivered if delivery else 0)

    def watchdog_seen(self, scope: str, alerts: list[tuple[str, str]]) -> None:
        """Sets the alert gauges of ``scope`` to one run's (rule, state) pairs."""
        from ledger.watchdog.alerts import RULES

        kind = "consortium" if scope == "consortium" else "node"
        for rule in RULES:
            for state in ("open", "acknowledged", "escalated"):
                self.watchdog_alerts.labels(kind, rule, state).set(alerts.count((rule, state)))
        self.watchdog_runs.labels(kind).inc()

    def watch_commits(self, writer: GroupCommit[Any, Any]) -> None:
        self.group_commits.set_function(lambda: writer.batches)
        self.group_committed.set_function(lambda: writer.items)

    def watch(
        self,
        *,
        outbox_pending: Callable[[], float],
        events: Callable[[], float],
        events_last: Callable[[], float],
        anchor: AnchorStatus,
        overdue: Callable[[], float],
        index_rewinds: Callable[[], float],
        head: Questions,
    ) -> None:
        self.head.set_function(lambda: head.head.number or 0)
        self.head_age.set_function(lambda: -1 if head.head.age is None else head.head.age)
        self.questions_answered.set_function(lambda: head.answered)
        self.questions_asked.set_function(lambda: head.asked)
        self.outbox_pending.set_function(outbox_pending)
        self.events_total.set_function(events)
        self.anchored_through.set_function(lambda: anchor.anchored_through)
        self.unanchored.set_function(lambda: max(0, events_last() - anchor.anchored_through))
        self.anchor_failures.set_function(lambda: anchor.consecutive_failures)
        self.anchor_failures_total.set_function(lambda: anchor.failures_total)
        self.overdue.set_function(overdue)
        self.replaced.set_function(lambda: anchor.replaced_total)
        self.rewinds.labels("anchoring").set_function(lambda: anchor.rewinds_total)
        self.rewinds.labels("indexer").set_function(index_rewinds)

    def read_denials_by_decision(self) -> dict[str, int]:
        """Refused reads since the process started, by decision (for the auditors' dashboard)."""
        return {
            s.labels["decision"]: int(s.value)
            for m in self.read_denials.collect()
            for s in m.samples
            if s.name.endswith("_total")
        }

    def render(self) -> bytes:
        return generate_latest(self.registry)
