"""Typed wrapper of ``RecordRegistry``: record commitments, versions, erasure, categories."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from web3.types import TxReceipt

from ledger.chain.client import Actor, Chain, ContractHandle


class RecordStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    ERASED = 2


@dataclass(frozen=True)
class RecordState:
    id: bytes
    subject: bytes
    custodian: bytes
    category: bytes
    version: int
    status: RecordStatus
    commitment: bytes


@dataclass(frozen=True)
class Category:
    id: bytes
    defined: bool
    requires_consent: bool
    field_hashes: list[bytes]


class RecordRegistry:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.handle: ContractHandle = chain.contract("RecordRegistry")

    # views
    def get_record(self, record_id: bytes) -> RecordState:
        v = self.handle.view("getRecord", record_id)
        return RecordState(record_id, bytes(v[0]), bytes(v[1]), bytes(v[2]), v[3], RecordStatus(v[4]), bytes(v[5]))

    def commitment_of(self, record_id: bytes, version: int) -> bytes:
        return bytes(self.handle.view("commitmentOf", record_id, version))

    def verify_field(
        self, record_id: bytes, version: int, salt: bytes, field_name: str, value_hash: bytes, proof: list[bytes]
    ) -> bool:
        return bool(self.handle.view("verifyField", record_id, version, salt, field_name, value_hash, proof))

    def get_category(self, category: bytes) -> Category:
        v = self.handle.view("getCategory", category)
        return Category(category, v[0], v[1], [bytes(h) for h in v[2]])

    # actions
    def define_category(self, actor: Actor, category: bytes, requires_consent: bool, fields: list[str]) -> TxReceipt:
        return actor.send(self.handle, "defineCategory", category, requires_consent, fields)

    def add_category_fields(self, actor: Actor, category: bytes, fields: list[str]) -> TxReceipt:
        return actor.send(self.handle, "addCategoryFields", category, fields)

    def set_category_consent(self, actor: Actor, category: bytes, requires_consent: bool) -> bool:
        r = actor.send(self.handle, "setCategoryConsent", category, requires_consent)
        return bool(self.handle.events(r, "CategoryConsentChanged"))

    def register(self, actor: Actor, record_id: bytes, subject: bytes, category: bytes, commitment: bytes) -> TxReceipt:
        return actor.send(self.handle, "registerRecord", record_id, subject, category, commitment)

    def update(self, actor: Actor, record_id: bytes, version: int, commitment: bytes) -> TxReceipt:
        return actor.send(self.handle, "updateRecord", record_id, version, commitment)

    def erase(self, actor: Actor, record_id: bytes) -> TxReceipt:
        return actor.send(self.handle, "eraseRecord", record_id)

    def registered_of(self, subject: bytes, *, from_block: int = 0) -> list[tuple[bytes, int]]:
        """The subject's records, as ``(record id, block registered)``, from ``RecordRegistered`` logs."""
        logs = self.handle.logs("RecordRegistered", from_block=from_block, subject=subject)
        return [(bytes(e["recordId"]), int(e["blockNumber"])) for e in logs]

    def last_updated_at(self, record_id: bytes, *, from_block: int = 0) -> int | None:
        """The block of the record's latest ``RecordUpdated``, if it was ever updated."""
        logs = self.handle.logs("RecordUpdated", from_block=from_block, recordId=record_id)
        return int(logs[-1]["blockNumber"]) if logs else None

    def categories(self, *, from_block: int = 0) -> list[bytes]:
        """Every category code ever defined, in order of definition."""
        logs = self.handle.logs("CategoryDefined", from_block=from_block)
        return list(dict.fromkeys(bytes(e["category"]) for e in logs))

    def field_names(self, category: bytes, *, from_block: int = 0) -> list[str]:
        """The category's field names in schema order, from its ``CategoryFieldsAdded`` events
        (the contract stores only their hashes)."""
        events = sorted(
            self.handle.logs("CategoryFieldsAdded", from_block=from_block, category=category),
            key=lambda e: int(e["firstIndex"]),
        )
        return [name for e in events for name in e["fieldNames"]]

    def anchoring_event(
        self, record_id: bytes, version: int, *, erased: bool = False, from_block: int = 0
    ) -> dict[str, object] | None:
        """The event that anchored ``version`` of ``record_id`` (or its erasure), if any."""
        if erased:
            found = self.handle.logs("RecordErased", from_block=from_block, recordId=record_id)
        elif version == 1:
            found = self.handle.logs("RecordRegistered", from_block=from_block, recordId=record_id)
        else:
            found = [
                e
                for e in self.handle.logs("RecordUpdated", from_block=from_block, recordId=record_id)
                if int(e["version"]) == version
            ]
        return found[0] if found else None
