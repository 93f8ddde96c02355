"""Files the node keeps for its operator alone, replaced whole."""

from __future__ import annotations

import os
from pathlib import Path


def replace_private(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` (mode 0600, folder 0700 when new) through a temporary file of this
    process and thread, synced, then renamed over the old one, and the folder synced: a crash leaves the
    old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dirfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)
