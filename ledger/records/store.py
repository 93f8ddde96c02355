"""The record store of one custodian body: register, read, update, erase, disclose.

Every change follows the same order, so a refused or interrupted change leaves nothing
half-done:

1. validate the content against the category's on-chain schema;
2. simulate the on-chain call as the acting officer (a refusal raises its domain error,
   nothing is written);
3. in one database transaction: encrypted content, wrapped data key, outbox entry;
4. send the outbox entry (:mod:`ledger.records.outbox`); a crash here is finished later.

Reads decrypt, then recompute the Merkle root from the decrypted fields and salts and
compare it with the commitment: a swapped or altered row is reported, never returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from ledger import failpoints
from ledger.chain.client import Actor
from ledger.chain.deploy import Contracts
from ledger.commitments.record import Commitment, canonical_json, commit, new_salts
from ledger.crypto.envelope import Keyring, Sealed, binding
from ledger.crypto.subjects import subject_id
from ledger.errors import (
    Conflict,
    IntegrityFailure,
    InvalidRecord,
    KeyringError,
    NotAuthorized,
    RecordErased,
    RecordNotFound,
    StoreError,
)
from ledger.ids import code_id, hex32, new_record_id, unhex32
from ledger.records.outbox import Anchorer, AnchorReport
from ledger.records.schema import fields_of, mask_of
from ledger.store.epochs import EpochKeys
from ledger.store.models import (
    OutboxAction,
    OutboxEntry,
    Record,
    RecordKey,
    RecordPublic,
    RecordStatusName,
    RecordVersion,
    VersionPublic,
    utcnow,
)

#: Largest record accepted, as RFC 8785 canonical JSON of its fields.
MAX_RECORD_BYTES = 64 * 1024


def _fetch_statement() -> Any:
    """Built once: a statement object made anew per call costs more than the query."""
    r, v, k = Record.__table__, RecordVersion.__table__, RecordKey.__table__  # type: ignore[attr-defined]
    return (
        sa_select(
            r,
            v.c.commitment,
            v.c.anchor_state,
            v.c.anchor_tx,
            v.c.anchor_block,
            v.c.created_at.label("v_created_at"),
            v.c.ciphertext,
            k.c.wrapped_key,
            k.c.kek_id,
        )
        .select_from(
            r.outerjoin(v, (v.c.record_id == r.c.record_id) & (v.c.version == r.c.version)).outerjoin(
                k, (k.c.record_id == r.c.record_id) & (k.c.version == r.c.version)
            )
        )
        .where(r.c.record_id == bindparam("rid"))
    )


_FETCH = _fetch_statement()


@dataclass(frozen=True)
class StoredVersion:
    """A record's metadata and its latest version, still sealed."""

    record: RecordPublic
    version: VersionPublic
    sealed: Sealed | None


@dataclass(frozen=True)
class RecordContent:
    """A decrypted record version, verified against its commitment."""

    record: RecordPublic
    version: VersionPublic
    commitment: Commitment

    @property
    def fields(self) -> dict[str, Any]:
        return self.commitment.fields


class RecordStore:
    def __init__(
        self, *, engine: Engine, contracts: Contracts, keyring: Keyring, body: bytes, consortium_secret: bytes, epochs: Path
    ) -> None:
        """``epochs``: the file of this body's epoch keys (:mod:`ledger.store.epochs`), in the node's home."""
        self.engine = engine
        self.c = contracts
        self.body = body
        self.epochs = EpochKeys(epochs, keyring, body)
        self._secret = consortium_secret
        self.anchorer = Anchorer(engine, contracts)
        self._schemas: dict[bytes, list[str]] = {}
        self.sweep()

    @property
    def keyring(self) -> Keyring:
        """The body's KEKs: they wrap the epoch keys (and the free texts' data keys)."""
        return self.epochs.keyring

    @keyring.setter
    def keyring(self, keyring: Keyring) -> None:
        self.epochs.keyring = keyring

    # ------------------------------------------------------------------ schema

    def schema(self, category: str) -> list[str]:
        """Field names of ``category``, as defined on-chain."""
        cid = code_id(category)
        if cid not in self._schemas:
            if not self.c.records.get_category(cid).defined:
                raise InvalidRecord(f"unknown category {category!r}")
            from_block = self.c.chain.manifest.deploy_block if self.c.chain.manifest else 0
            self._schemas[cid] = self.c.records.field_names(cid, from_block=from_block)
        return self._schemas[cid]

    def mask(self, category: str, fields: Iterable[str]) -> int:
        """The mask of ``fields`` of ``category`` (422 ``UnknownField`` for a field it does not have)."""
        return mask_of(self.schema(category), fields, category=category)

    def fields(self, category: str, mask: int) -> list[str]:
        """The fields of ``category`` that ``mask`` selects."""
        return fields_of(self.schema(category), mask)

    def validate(self, category: str, fields: Any) -> dict[str, Any]:
        """The fields, if they are exactly the category's fields and fit the size limit."""
        if not isinstance(fields, dict) or not all(isinstance(k, str) for k in fields):
            raise InvalidRecord("a record's fields are a JSON object of named values")
        names = self.schema(category)
        unknown = sorted(set(fields) - set(names))
        if unknown:
            raise InvalidRecord(f"unknown field(s) for category {category!r}: {', '.join(unknown)}")
        missing = [n for n in names if n not in fields]
        if missing:
            raise InvalidRecord(
                f"missing field(s) for category {category!r}: {', '.join(missing)} (use null for a value not known)"
            )
        size = len(canonical_json(fields))
        if size > MAX_RECORD_BYTES:
            raise InvalidRecord(f"the record is {size:,} bytes as canonical JSON; the limit is {MAX_RECORD_BYTES:,}")
        return dict(fields)

    def _check_member(self, actor: Actor) -> None:
        body, _ = self.c.bodies.member_of(actor.address)
        if body != self.body:
            raise NotAuthorized(
                f"{actor.address} is not a member of the body that keeps this store", error="NotCustodianMember"
            )

    # ----------------------------------------------------------------- changes

    def add(
        self, *, actor: Actor, category: str, national_id: str, fields: Mapping[str, Any], record_id: bytes | None = None
    ) -> RecordPublic:
        """Registers a new record (version 1) and anchors its commitment."""
        record = self.stage_add(actor=actor, category=category, national_id=national_id, fields=fields, record_id=record_id)
        self.anchor(actor)
        return self.get(unhex32(record.record_id))

    def update(self, *, actor: Actor, record_id: bytes, fields: Mapping[str, Any]) -> RecordPublic:
        """Stores a new version with a new commitment; earlier versions stay readable."""
        self.anchor(actor)  # the previous version must be on-chain first
        self.stage_update(actor=actor, record_id=record_id, fields=fields)
        self.anchor(actor)
        return self.get(record_id)

    def erase(self, *, actor: Actor, record_id: bytes) -> RecordPublic:
        """Crypto-shreds every version (data keys and ciphertexts deleted); marks it erased on-chain."""
        self.anchor(actor)
        self.stage_erase(actor=actor, record_id=record_id)
        self.anchor(actor)
        return self.get(record_id)

    def exists(self, record_id: bytes) -> bool:
        with Session(self.engine) as s:
            return s.get(Record, hex32(record_id)) is not None

    def simulate_register(self, actor: Actor, record_id: bytes, category: str, national_id: str) -> None:
        """Runs ``registerRecord`` as ``actor`` without sending it: a refusal raises its domain error."""
        actor.simulate(
            self.c.records.handle,
            "registerRecord",
            record_id,
            subject_id(national_id, self._secret),
            code_id(category),
            b"\1" * 32,
        )

    def stage_many(self, *, actor: Actor, items: Sequence[tuple[bytes, str, str, dict[str, Any]]], chunk: int = 200) -> int:
        """Stages new records (record id, category, national ID, fields already validated) in transactions
        of ``chunk``; a record id this store holds already is left as it is (a resumed import). Returns
        how many were staged now."""
        self._check_member(actor)
        staged = 0
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk]
            with Session(self.engine) as s:
                known = set(
                    s.exec(select(Record.record_id).where(col(Record.record_id).in_([hex32(rid) for rid, *_ in part]))).all()
                )
            fresh = [it for it in part if hex32(it[0]) not in known]
            if not fresh:
                continue
            try:
                with self.epochs.writing(), Session(self.engine) as s, s.begin():
                    for record_id, category, national_id, fields in fresh:
                        c = commit(fields, new_salts(list(fields)))
                        payload = canonical_json({"fields": c.fields, "salts": {k: v.hex() for k, v in c.salts.items()}})
                        sealed = self.epochs.seal(payload, binding(self.body, record_id, 1))
                        rid = hex32(record_id)
                        s.add(
                            Record(
                                record_id=rid,
                                subject_id=hex32(subject_id(national_id, self._secret)),
                                category=category,
                                version=1,
                                body=hex32(self.body),
                            )
                        )
                        s.add(
                            RecordVersion(record_id=rid, version=1, commitment=hex32(c.root), ciphertext=sealed.ciphertext)
                        )
                        s.add(RecordKey(record_id=rid, version=1, kek_id=sealed.kek_id, wrapped_key=sealed.wrapped_key))
                        s.add(OutboxEntry(record_id=rid, version=1, action=OutboxAction.REGISTER, actor=actor.address))
            except SQLAlchemyError as exc:
                raise StoreError(f"could not store the records: {exc.__class__.__name__}") from exc
            staged += len(fresh)
            failpoints.hit("store.after_commit")
        return staged

    # Staging: steps 1-3 only. The outbox entry is then anchored by the actor's own
    # transaction (``anchor``), or signed by them later (prepare → sign → submit, the API).

    def stage_add(
        self, *, actor: Actor, category: str, national_id: str, fields: Mapping[str, Any], record_id: bytes | None = None
    ) -> RecordPublic:
        """Steps 1-3 of registering; ``record_id`` is random unless given (the demo's fixed ids)."""
        fields = self.validate(category, fields)
        subject = subject_id(national_id, self._secret)
        self._check_member(actor)
        record_id = record_id or new_record_id()
        c = commit(fields, new_salts(list(fields)))
        actor.simulate(self.c.records.handle, "registerRecord", record_id, subject, code_id(category), c.root)
        record = Record(
            record_id=hex32(record_id), subject_id=hex32(subject), category=category, version=1, body=hex32(self.body)
        )
        self._write(record, 1, c, OutboxAction.REGISTER, actor, new=True)
        return self.get(record_id)

    def stage_update(self, *, actor: Actor, record_id: bytes, fields: Mapping[str, Any]) -> RecordPublic:
        with Session(self.engine) as s:
            record = self._active(s, record_id)
            self._require_settled(record.record_id)
            fields = self.validate(record.category, fields)
            version = record.version + 1
            c = commit(fields, new_salts(list(fields)))
            actor.simulate(self.c.records.handle, "updateRecord", record_id, version, c.root)
            record.version, record.updated_at = version, utcnow()
            s.expunge(record)
        self._write(record, version, c, OutboxAction.UPDATE, actor, new=False)
        return self.get(record_id)

    def stage_erase(self, *, actor: Actor, record_id: bytes) -> RecordPublic:
        """Deletes the record's data keys and ciphertexts, and shreds the epoch that wrapped them: every
        other data key moves to a fresh epoch in the same transaction, then the old epoch keys are
        destroyed, so no earlier copy of the database (WAL, free pages, dead tuples, dumps, backups) can
        yield this record's key to any key the node still holds."""
        with Session(self.engine) as s:
            self._require_settled(self._active(s, record_id).record_id)
        actor.simulate(self.c.records.handle, "eraseRecord", record_id)
        with self.epochs.shredding():
            self.epochs.begin_shred()
            with Session(self.engine) as s, s.begin():
                record = self._active(s, record_id)
                rid = record.record_id
                for key in s.exec(select(RecordKey).where(RecordKey.record_id == rid)).all():
                    s.delete(key)
                for version in s.exec(select(RecordVersion).where(RecordVersion.record_id == rid)).all():
                    version.ciphertext = None
                    s.add(version)
                record.status, record.updated_at = RecordStatusName.ERASED, utcnow()
                s.add(record)
                s.add(OutboxEntry(record_id=rid, version=record.version, action=OutboxAction.ERASE, actor=actor.address))
                s.flush()
                self._rewrap_into_current(s)
            failpoints.hit("store.erase_before_shred")
            self.epochs.destroy_all_but_current()
        self._scrub()
        failpoints.hit("store.after_commit")
        return self.get(record_id)

    def _my_keys(self, s: Session) -> Any:
        return (
            select(RecordKey)
            .join(Record, col(Record.record_id) == col(RecordKey.record_id))
            .where(Record.body == hex32(self.body))
        )

    def _rewrap_into_current(self, s: Session) -> int:
        count = 0
        for key in s.exec(self._my_keys(s).where(RecordKey.kek_id != self.epochs.current)).all():
            aad = binding(self.body, unhex32(key.record_id), key.version)
            key.wrapped_key, key.kek_id = self.epochs.rewrap(key.wrapped_key, key.kek_id, aad)
            s.add(key)
            count += 1
        return count

    def sweep(self) -> None:
        """On opening: data keys written before epochs (or under an epoch an erasure cut off before its
        commit) move into the current epoch, and every other epoch is destroyed."""
        with self.epochs.shredding():
            with Session(self.engine) as s, s.begin():
                moved = self._rewrap_into_current(s)
            destroyed = self.epochs.destroy_all_but_current()
        if moved or destroyed:
            self._scrub()

    def _scrub(self) -> None:
        """SQLite: the WAL copied into the database (where ``secure_delete`` zeroed what was deleted) and
        truncated. PostgreSQL keeps dead tuples until they are vacuumed and overwritten: what they hold
        is wrapped by destroyed epoch keys."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def _require_settled(self, record_id: str) -> None:
        """A record changes only once its previous change is on-chain (versions anchor in order)."""
        waiting = self.anchorer.pending(record_id=record_id)
        if waiting:
            raise Conflict(
                f"record {record_id} has a change still waiting to be anchored (by {waiting[0].actor}); anchor it first",
                error="AnchorPending",
            )

    def anchor(self, actor: Actor, *, progress: Callable[[int, int], None] | None = None) -> AnchorReport:
        """Sends ``actor``'s pending on-chain actions (after a crash, or a chain outage)."""
        return self.anchorer.run(actor, progress=progress)

    def _write(self, record: Record, version: int, c: Commitment, action: OutboxAction, actor: Actor, *, new: bool) -> None:
        rid = unhex32(record.record_id)
        payload = canonical_json({"fields": c.fields, "salts": {k: v.hex() for k, v in c.salts.items()}})
        try:
            with self.epochs.writing(), Session(self.engine) as s, s.begin():
                sealed = self.epochs.seal(payload, binding(self.body, rid, version))
                s.merge(record) if not new else s.add(record)
                s.add(
                    RecordVersion(
                        record_id=record.record_id, version=version, commitment=hex32(c.root), ciphertext=sealed.ciphertext
                    )
                )
                s.add(
                    RecordKey(
                        record_id=record.record_id, version=version, kek_id=sealed.kek_id, wrapped_key=sealed.wrapped_key
                    )
                )
                s.add(OutboxEntry(record_id=record.record_id, version=version, action=action, actor=actor.address))
        except SQLAlchemyError as exc:
            raise StoreError(f"could not store the record: {exc.__class__.__name__}") from exc
        failpoints.hit("store.after_commit")

    # ------------------------------------------------------------------- reads

    def _mine(self, s: Session, record_id: bytes) -> Record:
        """The record, if this body keeps it (a database may hold several bodies' stores)."""
        record = s.get(Record, hex32(record_id))
        if record is None or record.body != hex32(self.body):
            raise RecordNotFound(f"no record {hex32(record_id)} in this store")
        return record

    def _active(self, s: Session, record_id: bytes) -> Record:
        record = self._mine(s, record_id)
        if record.status == RecordStatusName.ERASED:
            raise RecordErased(f"record {hex32(record_id)} was erased on {record.updated_at:%Y-%m-%d}")
        return record

    def get(self, record_id: bytes) -> RecordPublic:
        """The record's metadata (no content): works after erasure too."""
        with Session(self.engine) as s:
            return RecordPublic.model_validate(self._mine(s, record_id), from_attributes=True)

    def versions(self, record_id: bytes) -> list[VersionPublic]:
        self.get(record_id)
        with Session(self.engine) as s:
            rows = s.exec(
                select(RecordVersion).where(RecordVersion.record_id == hex32(record_id)).order_by(col(RecordVersion.version))
            ).all()
            return [VersionPublic.model_validate(r, from_attributes=True) for r in rows]

    def read(self, record_id: bytes, version: int | None = None) -> RecordContent:
        """Decrypts a version (the latest by default) and checks it against its commitment."""
        with Session(self.engine) as s:
            record = self._active(s, record_id)
            version = version or record.version
            row = s.get(RecordVersion, (record.record_id, version))
            key = s.get(RecordKey, (record.record_id, version))
            if row is None:
                raise RecordNotFound(f"record {record.record_id} has no version {version}")
            if key is None or row.ciphertext is None:
                raise IntegrityFailure(f"record {record.record_id} version {version} has lost its key or ciphertext")
            sealed = Sealed(row.ciphertext, key.wrapped_key, key.kek_id)
            public = RecordPublic.model_validate(record, from_attributes=True)
            vpublic = VersionPublic.model_validate(row, from_attributes=True)
        payload = json.loads(self.epochs.open(sealed, binding(self.body, record_id, version)))
        c = commit(payload["fields"], {k: bytes.fromhex(v) for k, v in payload["salts"].items()})
        if hex32(c.root) != vpublic.commitment:
            raise IntegrityFailure(f"record {public.record_id} version {version} does not match its commitment")
        return RecordContent(public, vpublic, c)

    def fetch(self, record_id: bytes) -> StoredVersion:
        """The record's metadata and its latest version, sealed (nothing decrypted): one query, for a read
        that checks its right first and decrypts after (:meth:`open_stored`)."""
        with self.engine.connect() as conn:
            row = conn.execute(_FETCH, {"rid": hex32(record_id)}).mappings().first()
        if row is None or row["body"] != hex32(self.body):
            raise RecordNotFound(f"no record {hex32(record_id)} in this store")
        record = RecordPublic(
            record_id=row["record_id"],
            subject_id=row["subject_id"],
            category=row["category"],
            version=row["version"],
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
        if row["commitment"] is None:
            raise RecordNotFound(f"record {record.record_id} has no version {record.version}")
        version = VersionPublic(
            record_id=record.record_id,
            version=record.version,
            commitment=row["commitment"],
            anchor_state=row["anchor_state"],
            anchor_tx=row["anchor_tx"],
            anchor_block=row["anchor_block"],
            created_at=row["v_created_at"],
        )
        sealed = (
            None
            if row["wrapped_key"] is None or row["ciphertext"] is None
            else Sealed(row["ciphertext"], row["wrapped_key"], row["kek_id"])
        )
        return StoredVersion(record, version, sealed)

    def open_stored(self, stored: StoredVersion) -> RecordContent:
        """Decrypts what :meth:`fetch` found and checks it against its commitment."""
        record = stored.record
        if record.status == RecordStatusName.ERASED:
            raise RecordErased(f"record {record.record_id} was erased on {record.updated_at:%Y-%m-%d}")
        if stored.sealed is None:
            raise IntegrityFailure(f"record {record.record_id} version {record.version} has lost its key or ciphertext")
        try:
            plain = self.epochs.open(stored.sealed, binding(self.body, bytes.fromhex(record.record_id[2:]), record.version))
        except KeyringError:
            if self.get(bytes.fromhex(record.record_id[2:])).status == RecordStatusName.ERASED:  # erased meanwhile
                raise RecordErased(f"record {record.record_id} was erased") from None
            raise
        payload = json.loads(plain)
        c = commit(payload["fields"], {k: bytes.fromhex(v) for k, v in payload["salts"].items()})
        if hex32(c.root) != stored.version.commitment:
            raise IntegrityFailure(f"record {record.record_id} version {record.version} does not match its commitment")
        return RecordContent(record, stored.version, c)

    def count(self) -> int:
        with Session(self.engine) as s:
            return int(s.exec(select(func.count()).select_from(Record).where(Record.body == hex32(self.body))).one())

    def subject_of(self, national_id: str) -> bytes:
        """The subject id of a national ID number (HMAC with the consortium secret)."""
        return subject_id(national_id, self._secret)

    def list_records(self, *, offset: int = 0, limit: int = 100) -> list[RecordPublic]:
        with Session(self.engine) as s:
            rows = s.exec(
                select(Record)
                .where(Record.body == hex32(self.body))
                .order_by(col(Record.created_at), col(Record.record_id))
                .offset(offset)
                .limit(limit)
            ).all()
            return [RecordPublic.model_validate(r, from_attributes=True) for r in rows]

    def records_of_subject(self, national_id: str) -> list[RecordPublic]:
        subject = hex32(subject_id(national_id, self._secret))
        with Session(self.engine) as s:
            rows = s.exec(select(Record).where(Record.subject_id == subject, Record.body == hex32(self.body))).all()
            return [RecordPublic.model_validate(r, from_attributes=True) for r in rows]

    # -------------------------------------------------------------- key rotation

    def rewrap_all(self) -> int:
        """A fresh epoch for every data key, the old epochs destroyed, and the epoch keys re-wrapped by the
        keyring's active KEK (after a rotation, the older KEKs then wrap nothing of the records')."""
        with self.epochs.shredding():
            self.epochs.begin_shred()
            with Session(self.engine) as s, s.begin():
                count = self._rewrap_into_current(s)
            self.epochs.destroy_all_but_current()
        self._scrub()
        return count
