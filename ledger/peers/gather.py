"""Asking every body's node at once, as this node: a resident's trail at each, each node's self-audit.

A body that published no node address, or whose node does not answer, is named in the answer with
why; it is never left out silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ledger.chain.head import Questions
from ledger.chain.views import bodies_at, founder_at
from ledger.errors import NodeUnavailable
from ledger.network.registry import api_of
from ledger.peers.exchange import TIMEOUT, NodeClient

#: Nodes asked at once.
WORKERS = 8


@dataclass(frozen=True)
class Answer:
    """One body's node's answer: its HTTP status and JSON, or why there is none (``status`` None)."""

    body: bytes
    status: int | None
    data: Any = None
    error: str | None = None
    published: bool = True  # False: the body has published no node address

    @property
    def ok(self) -> bool:
        return self.status == 200


def active_bodies(questions: Questions, known: Iterable[str]) -> list[bytes]:
    """The consortium's active bodies at the head: the founder and every body the chain index has seen
    (0x hex ids), asked of the registry in one batch per block."""
    ids = list(dict.fromkeys([founder_at(questions), *(bytes.fromhex(b[2:]) for b in known)]))
    return [b.id for b in bodies_at(questions, ids) if b.active]


def published_api_at(questions: Questions, body: bytes) -> str | None:
    """The API URL ``body`` publishes in the registry, at the head (asked once per block)."""
    return api_of(bodies_at(questions, [body])[0].endpoint)


def ask_all(
    peers: NodeClient, bodies: Iterable[bytes], path: str, payload: Any, *, timeout: float = TIMEOUT
) -> list[Answer]:
    """POSTs ``payload`` to ``path`` at each body's node, in parallel; the answers in ``bodies``' order."""

    def ask(body: bytes) -> Answer:
        if not peers.endpoint_of(body):
            return Answer(body, None, error="published no node address in the registry", published=False)
        try:
            status, data = peers.post(body, path, payload, timeout=timeout)
        except NodeUnavailable as exc:
            return Answer(body, None, error=exc.message)
        return Answer(body, status, data, None if status == 200 else _said(status, data))

    targets = list(bodies)
    if not targets:
        return []
    with ThreadPoolExecutor(min(WORKERS, len(targets))) as pool:
        return list(pool.map(ask, targets))


def _said(status: int, data: Any) -> str:
    message = data.get("message") if isinstance(data, dict) else None
    return f"answered {status}: {message}" if message else f"answered {status}"
