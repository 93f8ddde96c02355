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
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger.envelope import KEY_BYTES, Keyring, Sealed
from ledger.errors import KeyringError

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
        self._keys: dict[str, bytes] = {}
        self.current = ""
        self._next = 1
        self._stamp: tuple[int, int] | None = None
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked(fcntl.LOCK_EX):
            if not path.exists():
                self._add_epoch()
                self._save()
            self._load()

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
            keys = {eid: self.keyring.unwrap_key(bytes.fromhex(e["wrapped"]), e["kek"], _aad(self.body, eid))
                    for eid, e in doc["keys"].items()}
            current, nxt = str(doc["current"]), int(doc["next"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"cannot read the epoch keys {self.path}: {exc}") from None
        if current not in keys:
            raise KeyringError(f"{self.path} names a current epoch it does not hold")
        self._keys, self.current, self._next, self._stamp = keys, current, nxt, stamp

    def _save(self) -> None:
        """Writes the file whole (each key wrapped by the keyring's active KEK), synced, then replaces the
        old one: a crash leaves either file, never half of one."""
        entries = {}
        for eid, key in self._keys.items():
            wrapped, kek = self.keyring.wrap_key(key, _aad(self.body, eid))
            entries[eid] = {"kek": kek, "wrapped": wrapped.hex()}
        doc = {"schema": SCHEMA, "body": self.body.hex(), "current": self.current, "next": self._next,
               "keys": entries}
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dirfd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
        st = self.path.stat()
        self._stamp = (st.st_ino, st.st_mtime_ns)

    def _add_epoch(self) -> str:
        eid = f"epoch-{self._next}"
        self._next += 1
        self._keys[eid] = secrets.token_bytes(KEY_BYTES)
        self.current = eid
        return eid

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
        with self._mutex:
            epoch, key = self.current, self._keys[self.current]
        return Keyring({epoch: key}, epoch).seal(plaintext, aad)

    def open(self, sealed: Sealed, aad: bytes) -> bytes:
        if sealed.kek_id not in self._keys:
            with self._locked(fcntl.LOCK_SH):
                self._load()
        with self._mutex:
            key = self._keys.get(sealed.kek_id)
        if key is not None:
            return Keyring({sealed.kek_id: key}, sealed.kek_id).open(sealed, aad)
        if sealed.kek_id in self.keyring.ids:  # written before epochs: the store moves these on opening
            return self.keyring.open(sealed, aad)
        raise KeyringError(f"the data key's epoch {sealed.kek_id!r} was destroyed (an erasure) or never kept here")

    def rewrap(self, wrapped_key: bytes, kek_id: str, aad: bytes) -> tuple[bytes, str]:
        """The same data key wrapped by the current epoch (from an older epoch, or from the keyring for a
        key written before epochs)."""
        with self._mutex:
            current, current_key, old = self.current, self._keys[self.current], self._keys.get(kek_id)
        source = Keyring({kek_id: old}, kek_id) if old is not None else self.keyring
        dek = source.unwrap_key(wrapped_key, kek_id, aad)
        return Keyring({current: current_key}, current).wrap_key(dek, aad)

    # -------------------------------------------------------------- shredding

    def begin_shred(self) -> str:
        """Step 1: a fresh current epoch, on disk before any data key is wrapped by it (inside
        :meth:`shredding`)."""
        with self._mutex:
            eid = self._add_epoch()
            self._save()
        return eid

    def destroy_all_but_current(self) -> list[str]:
        """Step 3: every epoch but the current one destroyed (inside :meth:`shredding`, after the
        re-wrap committed)."""
        with self._mutex:
            gone = [e for e in self._keys if e != self.current]
            if gone:
                for e in gone:
                    del self._keys[e]
                self._save()
        return gone

    def held(self) -> list[str]:
        with self._mutex:
            return list(self._keys)

    def rekey(self) -> None:
        """The file rewritten under the keyring's active KEK (after the operator rotated it)."""
        with self._locked(fcntl.LOCK_EX):
            self._load()
            with self._mutex:
                self._save()
