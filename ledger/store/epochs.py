"""Epoch keys: what makes an erasure hold against every old copy of the record database.

A record version's data key (DEK) is wrapped by the *epoch key* that was current when it was written.
Epoch keys are random (never derived, so never recomputable) and live in one file of the node's home,
each wrapped by the body's keyring (the operator's KEK). To erase a record the store

1. adds a fresh epoch key to this file and makes it current (:meth:`EpochKeys.begin_shred`);
2. in one database transaction deletes the record's wrapped data keys and ciphertexts and re-wraps every
   other data key under the new epoch;
3. destroys every other epoch key: the file is rewritten without them, synced, and replaced
   (:meth:`EpochKeys.destroy_all_but_current`).

Every copy of the database made before step 3 — SQLite's WAL and free pages, PostgreSQL's dead tuples
and WAL, a ``pg_dump``, a backup of the files — holds the erased record's data key wrapped only by an
epoch key that exists nowhere any more: no key the node or its operator holds can unwrap it. A crash
between steps 2 and 3 leaves an old epoch no row uses; the store destroys it when it next opens.

Processes sharing a store (the API and a ``ledger records`` command) coordinate through a lock file:
writers hold it shared from sealing until their transaction commits, an erasure holds it exclusively,
so no data key is ever written under an epoch that is being destroyed.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger.crypto.envelope import Keyring, Sealed
from ledger.errors import KeyringError
from ledger.files import replace_private

SCHEMA = "civic-ledger/epochs@1"


def _aad(body: bytes, epoch: str) -> bytes:
    return b"civic-ledger/epoch@1\0" + body + b"\0" + epoch.encode()


class EpochKeys:
    """The epoch keys of one body's store, kept in ``path`` under ``keyring``."""

    def __init__(self, path: Path, keyring: Keyring, body: bytes) -> None:
        self.path = path
        self.keyring = keyring
        self.body = body
        self._lock_path = path.with_name(path.name + ".lock")
        self._mutex = threading.RLock()
        # The epoch keys are themselves a keyring: the current epoch is its active key. Replaced whole,
        # never changed in place, so a reader holding it sees one consistent set.
        self._ring = Keyring.generate("epoch-1")
        self._next = 2
        self._stamp: tuple[int, int] | None = None
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked(fcntl.LOCK_EX):
            if not path.exists():
                self._save()
            self._load()

    @property
    def current(self) -> str:
        return self._ring.active

    # ------------------------------------------------------------------ file

    @contextmanager
    def _locked(self, how: int) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, how)  # a lock per open file: threads of one process exclude each other too
            yield
        finally:
            os.close(fd)  # releases the lock

    def _load(self) -> None:
        with self._mutex:
            self._load_unlocked()

    def _load_unlocked(self) -> None:
        st = self.path.stat()
        stamp = (st.st_ino, st.st_mtime_ns)
        if stamp == self._stamp:
            return
        try:
            doc = json.loads(self.path.read_text())
            if doc.get("schema") != SCHEMA or doc.get("body") != self.body.hex():
                raise KeyringError(f"{self.path} is not this body's epoch-key file")
            keys = {
                eid: self.keyring.unwrap_key(bytes.fromhex(e["wrapped"]), e["kek"], _aad(self.body, eid))
                for eid, e in doc["keys"].items()
            }
            ring = Keyring(keys, str(doc["current"]))  # refuses a current epoch the file does not hold
            nxt = int(doc["next"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"cannot read the epoch keys {self.path}: {exc}") from None
        self._ring, self._next, self._stamp = ring, nxt, stamp

    def _save(self) -> None:
        """Writes the file whole (each key wrapped by the keyring's active KEK), synced, then replaces the
        old one: a crash leaves either file, never half of one."""
        entries = {}
        for eid in self._ring.ids:
            wrapped, kek = self.keyring.wrap_key(self._ring.export(eid), _aad(self.body, eid))
            entries[eid] = {"kek": kek, "wrapped": wrapped.hex()}
        doc = {"schema": SCHEMA, "body": self.body.hex(), "current": self.current, "next": self._next, "keys": entries}
        replace_private(self.path, json.dumps(doc).encode())
        st = self.path.stat()
        self._stamp = (st.st_ino, st.st_mtime_ns)

    # --------------------------------------------------------------- writers

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Held from sealing a data key until the transaction that stores it commits."""
        with self._locked(fcntl.LOCK_SH):
            self._load()
            yield

    @contextmanager
    def shredding(self) -> Iterator[None]:
        """Held by an erasure (or a rotation) for all three steps; excludes every writer."""
        with self._locked(fcntl.LOCK_EX):
            self._load()
            yield

    def seal(self, plaintext: bytes, aad: bytes) -> Sealed:
        """Encrypts under a fresh data key wrapped by the current epoch (call inside :meth:`writing`)."""
        return self._ring.seal(plaintext, aad)

    def open(self, sealed: Sealed, aad: bytes) -> bytes:
        if sealed.kek_id not in self._ring.ids:
            with self._locked(fcntl.LOCK_SH):
                self._load()
        ring = self._ring
        if sealed.kek_id in ring.ids:
            return ring.open(sealed, aad)
        if sealed.kek_id in self.keyring.ids:  # written before epochs: the store moves these on opening
            return self.keyring.open(sealed, aad)
        raise KeyringError(f"the data key's epoch {sealed.kek_id!r} was destroyed (an erasure) or never kept here")

    def rewrap(self, wrapped_key: bytes, kek_id: str, aad: bytes) -> tuple[bytes, str]:
        """The same data key wrapped by the current epoch (from an older epoch, or from the keyring for a
        key written before epochs)."""
        ring = self._ring
        if kek_id in ring.ids:
            return ring.rewrap(wrapped_key, kek_id, aad)
        return ring.wrap_key(self.keyring.unwrap_key(wrapped_key, kek_id, aad), aad)

    # -------------------------------------------------------------- shredding

    def begin_shred(self) -> None:
        """Step 1: a fresh current epoch, on disk before any data key is wrapped by it (inside
        :meth:`shredding`)."""
        with self._mutex:
            self._ring = self._ring.rotated(f"epoch-{self._next}")
            self._next += 1
            self._save()

    def destroy_all_but_current(self) -> list[str]:
        """Step 3: every epoch but the current one destroyed (inside :meth:`shredding`, after the
        re-wrap committed)."""
        with self._mutex:
            gone = [e for e in self._ring.ids if e != self.current]
            if gone:
                self._ring = Keyring({self.current: self._ring.export(self.current)}, self.current)
                self._save()
        return gone

    def held(self) -> list[str]:
        return self._ring.ids
