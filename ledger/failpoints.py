"""Crash injection for tests: ``LEDGER_FAILPOINTS=name[,name]`` kills the process (SIGKILL)
when it reaches a named point, as a power cut would. Unset in normal use; costs one
environment look-up per point.

Points: ``store.after_commit`` (record stored, nothing sent), ``store.erase_before_shred`` (an
erasure committed, its old epoch key not yet destroyed), ``anchor.after_send`` (transaction mined,
the store not yet told).
"""

from __future__ import annotations

import os
import signal


def hit(name: str) -> None:
    if name in os.environ.get("LEDGER_FAILPOINTS", "").split(","):
        os.kill(os.getpid(), signal.SIGKILL)
