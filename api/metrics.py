"""Prometheus metrics of one node: HTTP requests and latencies, reads, denials, anchoring backlog.

Each app has its own registry (no process-global state), served as text at ``/metrics``.
The backlog gauges are read from the database when scraped.
"""

from __future__ import annotations

from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("ledger_http_requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("ledger_http_request_seconds", "Time to answer an HTTP request", ["route"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                                 registry=self.registry)
        self.reads = Counter("ledger_reads", "Reads served, each with its access event", ["kind"],
                             registry=self.registry)
        self.denials = Counter("ledger_denials", "Requests refused for want of a right (401, 403)", ["code"],
                               registry=self.registry)
        self.outbox_pending = Gauge("ledger_anchor_outbox_pending", "Record changes stored but not yet anchored",
                                    registry=self.registry)
        self.events_total = Gauge("ledger_trail_events", "Access events in this node's trail",
                                  registry=self.registry)

    def watch(self, *, outbox_pending: Callable[[], float], events: Callable[[], float]) -> None:
        self.outbox_pending.set_function(outbox_pending)
        self.events_total.set_function(events)

    def render(self) -> bytes:
        return generate_latest(self.registry)
