"""A sliding-window limit of failed attempts per client, in the API process.

Only failures count (an unknown or replaced access code), and once a client has used its
allowance every attempt is refused until the window slides on, the right code included: a
guesser is slowed down, while a resident with a valid code can page and verify their trail
as often as they like.

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

    def check(self, client: str) -> None:
        """Raises :class:`RateLimited` while ``client`` has used up its failed attempts in the window."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen[client]
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.attempts:
                wait = math.ceil(seen[0] + self.window - now)
                raise RateLimited(f"too many attempts; try again in {wait} s", retry_after=max(wait, 1))

    def hit(self, client: str) -> None:
        """Counts an attempt of ``client`` (every one, not only failures); refuses over the limit."""
        self.check(client)
        self.fail(client)

    def fail(self, client: str) -> None:
        """Counts a failed attempt of ``client``."""
        with self._lock:
            self._seen[client].append(time.monotonic())
