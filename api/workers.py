"""The node's background threads (head follower, indexer, anchoring worker), and how one process of
several uvicorn workers is chosen to index and anchor."""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def sole(path: Path, stop: threading.Event) -> Iterator[None]:
    """Holds an exclusive lock on ``path`` (waiting for it, or for ``stop``) while inside."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "a+b") as f:
        while not stop.is_set():
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                stop.wait(1.0)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def limit_threads(n: int) -> None:
    """At most ``n`` threads run the blocking handlers (anyio's pool is 40 by default: under load they
    convoy on the GIL and the SQLite calls that release it, and throughput falls as threads rise)."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = n


class Workers:
    """Background threads of the node (indexer, anchoring worker), stopped with the app."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, name: str, target: Callable[[threading.Event], None]) -> None:
        t = threading.Thread(target=target, args=(self.stop,), name=name, daemon=True)
        t.start()
        self.threads.append(t)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)
