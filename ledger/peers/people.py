"""Who an account is, wherever they work: a name and a post for the people a page shows.

Each body keeps its own members' directory at its own node. This node answers for its own body's
members from its directory; for another body's member it asks that body's node (``/node/people``,
a signed node-to-node request), and keeps the answer a few minutes. An answer is believed only for
accounts the chain says are members of the body that answered, so a node cannot name another body's
staff. A body with no node, or a node that does not answer, leaves the person unnamed (the page
shows their body), and is asked again later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eth_utils import is_address, to_checksum_address

from ledger.chain.head import Questions
from ledger.chain.views import at
from ledger.errors import NodeUnavailable
from ledger.ids import code_name
from ledger.peers.exchange import NodeClient
from ledger.store.directory import Directory, Person

#: How long an answer (or its absence) from another body's node is kept, seconds.
TTL = 300.0
#: How long a node that did not answer is left alone before it is asked again, seconds.
RETRY = 30.0
#: How long this node waits for another's answer while drawing a page, seconds.
TIMEOUT = 3.0
#: Accounts asked of one node at once (and answered by this node at most).
MAX_ACCOUNTS = 200

ZERO = b"\0" * 32


class People:
    def __init__(
        self,
        directory: Directory,
        questions: Questions,
        peers: NodeClient | None,
        own_body: bytes,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory, self.questions, self.peers, self.own_body = directory, questions, peers, own_body
        self.clock = clock
        self._kept: dict[str, tuple[float, Person | None]] = {}
        self._lock = threading.Lock()

    def of(self, accounts: Iterable[str]) -> dict[str, Person]:
        """The people among ``accounts`` that someone can name (checksummed keys)."""
        wanted = {str(to_checksum_address(a)) for a in accounts if is_address(a)}
        found = self.directory.people(wanted)
        now = self.clock()
        with self._lock:
            kept = {a: self._kept[a] for a in wanted - set(found) if a in self._kept and self._kept[a][0] > now}
        found.update({a: p for a, (_, p) in kept.items() if p is not None})
        missing = sorted(wanted - set(found) - set(kept))
        if missing and self.peers is not None:
            found.update(self._ask_their_nodes(missing))
        return found

    def own(self, accounts: Iterable[str]) -> list[Person]:
        """This body's members among ``accounts``, as this node's directory describes them (what it answers
        other nodes): only accounts the chain says are members of this body."""
        wanted = [str(to_checksum_address(a)) for a in accounts if is_address(a)][:MAX_ACCOUNTS]
        view = at(self.questions)
        bodies = view.ask(*(view.member(a) for a in wanted))
        ours = [a for a, (body, _roles) in zip(wanted, bodies, strict=True) if body == self.own_body]
        described = self.directory.people(ours)
        return [described[a] for a in ours if a in described]

    def _ask_their_nodes(self, accounts: list[str]) -> dict[str, Person]:
        view = at(self.questions)
        bodies = [body for body, _roles in view.ask(*(view.member(a) for a in accounts))]
        by_body: dict[bytes, list[str]] = {}
        for account, body in zip(accounts, bodies, strict=True):
            if body not in (ZERO, self.own_body):
                by_body.setdefault(body, []).append(account)
        found: dict[str, Person] = {}
        if not by_body:
            return found
        with ThreadPoolExecutor(min(8, len(by_body))) as pool:
            for body, (answered, until) in zip(by_body, pool.map(lambda b: self._ask(b, by_body[b]), by_body), strict=True):
                with self._lock:
                    for account in by_body[body]:
                        self._kept[account] = (until, answered.get(account))
                found.update(answered)
        return found

    def _ask(self, body: bytes, accounts: list[str]) -> tuple[dict[str, Person], float]:
        """``body``'s node's answer for its members among ``accounts``, and until when to keep it."""
        assert self.peers is not None
        try:
            status, data = self.peers.post(body, "/node/people", {"accounts": accounts[:MAX_ACCOUNTS]}, timeout=TIMEOUT)
        except NodeUnavailable:
            return {}, self.clock() + RETRY
        if status != 200:
            return {}, self.clock() + RETRY
        return _believed(data, body, set(accounts)), self.clock() + TTL


def _believed(data: Any, body: bytes, asked: set[str]) -> dict[str, Person]:
    """The entries of an answer for accounts that were asked (and are the body's members: the caller asked
    only those); anything malformed is left out."""
    out: dict[str, Person] = {}
    people = data.get("people") if isinstance(data, dict) else None
    for p in people if isinstance(people, list) else []:
        if not isinstance(p, dict) or not is_address(p.get("account")):
            continue
        account = to_checksum_address(p["account"])
        name, post = p.get("name"), p.get("post")
        if account in asked and all(v is None or (isinstance(v, str) and len(v) <= 100) for v in (name, post)):
            out[account] = Person(account, code_name(body), name, post)
    return out
