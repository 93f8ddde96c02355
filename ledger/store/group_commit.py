"""Group commit: concurrent writers' items committed together, each answered after the commit.

Every caller of :meth:`GroupCommit.submit` queues its item and waits. One of them at a time is
the *leader*: it takes everything queued (up to ``max_batch``), commits it in one transaction
through ``commit``, hands each waiter its result, and passes the lead to the first caller still
waiting. Under load a transaction (and its fsync) serves many reads; alone, a read commits at
once, with no timer to wait for. No thread of its own: the leader is always a caller.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("item", "result", "error", "done", "lead")

    def __init__(self, item: T) -> None:
        self.item = item
        self.result: R | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.lead = False  # woken to lead the next batch rather than with a result


class GroupCommit(Generic[T, R]):
    def __init__(self, commit: Callable[[Sequence[T]], Sequence[R]], *, max_batch: int = 256) -> None:
        self._commit = commit
        self._max = max_batch
        self._lock = threading.Lock()
        self._queue: deque[_Slot[T, R]] = deque()
        self._leading = False
        self.batches = 0
        self.items = 0

    def submit(self, item: T) -> R:
        """Commits ``item`` (with whatever else is waiting) and returns its result; raises what the
        batch's commit raised."""
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._queue.append(slot)
            lead = not self._leading
            if lead:
                self._leading = True
        while not lead:
            slot.done.wait()
            if not slot.lead:
                break
            slot.lead, lead = False, True
            slot.done.clear()
        if lead:
            self._lead()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _lead(self) -> None:
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(self._max, len(self._queue)))]
        try:
            results = self._commit([s.item for s in batch])
            for s, r in zip(batch, results, strict=True):
                s.result = r
        except BaseException as exc:  # every waiter of the batch gets the failure, then the lead passes on
            for s in batch:
                s.error = exc
        self.batches += 1
        self.items += len(batch)
        with self._lock:
            if self._queue:
                nxt = self._queue[0]
                nxt.lead = True
                nxt.done.set()
            else:
                self._leading = False
        for s in batch:
            s.done.set()
