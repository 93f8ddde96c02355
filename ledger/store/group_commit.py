"""Group commit: concurrent writers' items committed together, each answered after the commit.

Callers queue their item and get a future. One writer thread takes everything queued (up to
``max_batch``), commits it in one transaction through ``commit``, and resolves each future with its
result. Under load one transaction (and its fsync) serves many reads; alone, a read is committed at
once, with no timer to wait for. An async caller awaits its future without holding a thread, so a
batch can be as large as the number of reads in flight.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    def __init__(
        self, commit: Callable[[Sequence[T]], Sequence[R]], *, max_batch: int = 512, name: str = "group-commit"
    ) -> None:
        self._commit = commit
        self._max = max_batch
        self._name = name
        self._cond = threading.Condition()
        self._queue: deque[tuple[T, Future[R]]] = deque()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.items = 0

    def submit(self, item: T) -> Future[R]:
        """Queues ``item``; its future resolves once it is committed (or fails with the commit's error)."""
        future: Future[R] = Future()
        with self._cond:
            self._queue.append((item, future))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()
        return future

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                batch = [self._queue.popleft() for _ in range(min(self._max, len(self._queue)))]
            try:
                results = self._commit([item for item, _ in batch])
            except BaseException as exc:  # noqa: BLE001 — every waiter of the batch gets the failure
                for _, future in batch:
                    future.set_exception(exc)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    future.set_result(result)
            self.batches += 1
            self.items += len(batch)
