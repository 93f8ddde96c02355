"""A sliding-window rate limit per client, in the API process.

Kept in memory: one API process per node. Behind several workers each keeps its own window,
which multiplies the allowance by the number of workers; the access codes it protects have
100 bits of entropy, so the limit is a brake on abuse, not what keeps them secret.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

from ledger.errors import RateLimited


class RateLimit:
    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, client: str) -> None:
        """Counts an attempt of ``client``; raises :class:`RateLimited` over the limit (not counted then)."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen[client]
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.attempts:
                wait = math.ceil(seen[0] + self.window - now)
                raise RateLimited(f"too many attempts; try again in {wait} s", retry_after=max(wait, 1))
            seen.append(now)
