"""Which seals hide reads now: what a custodian's node asks before it shows a resident their trail or tells
them of a read.

A read written under a seal in force (:mod:`ledger.access.reads`, ``seal_id``) is anchored like any other
and counted by every audit, but the resident's trail, bundle, event material and notices leave it out while
its seal is in force (``Seals.inForce`` at the head block the node follows). A seal that has ended stays
ended (the contract refuses to extend it), so each is asked about until it ends, and never again.
"""

from __future__ import annotations

import threading
from collections.abc import Collection

from ledger.chain.head import Questions
from ledger.chain.views import at


class SealWatch:
    def __init__(self, questions: Questions) -> None:
        self.questions = questions
        self._ended: set[int] = set()  # ended for good: released, or past their end
        self._block = -1
        self._in_force: frozenset[int] = frozenset()
        self._lock = threading.Lock()

    def in_force(self) -> frozenset[int]:
        """The seals in force at the head block (asked once per block)."""
        view = at(self.questions)
        with self._lock:
            if view.block == self._block:
                return self._in_force
            [count] = view.ask(view.seal_count())
            open_ = [i for i in range(1, count + 1) if i not in self._ended]
            answers = view.ask(*(view.seal_force(i) for i in open_)) if open_ else []
            now = frozenset(i for i, yes in zip(open_, answers, strict=True) if yes)
            self._ended.update(i for i in open_ if i not in now)
            self._block, self._in_force = view.block, now
            return now

    def sealed_now(self, ids: Collection[int]) -> set[int]:
        """Which of ``ids`` are in force now."""
        return set(ids) & self.in_force()
