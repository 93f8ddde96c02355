"""Record commitments: a StandardMerkleTree over a record's fields.

Each field is one leaf ``(bytes32 salt, string name, bytes32 valueHash)`` where
``valueHash`` is keccak256 of the field value in RFC 8785 (JSON Canonicalization Scheme)
form. The random per-field salt keeps an on-chain root from revealing anything, even for
low-entropy values such as a yes/no field: without the salt a value cannot be guessed and
checked. The root is the record version's on-chain commitment; ``RecordRegistry.verifyField``
checks one field's proof against it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from ledger.commitments.merkle import StandardMerkleTree, leaf_hash, process_proof
from ledger.crypto.keccak import keccak
from ledger.errors import InvalidRecord

LEAF_TYPES = ("bytes32", "string", "bytes32")
SALT_BYTES = 32


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 JSON of ``value`` (the ``rfc8785`` package)."""
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidRecord(f"value cannot be canonicalised as JSON (RFC 8785): {exc}") from exc


def value_hash(value: Any) -> bytes:
    return keccak(canonical_json(value))


def field_leaf(salt: bytes, name: str, value: Any) -> bytes:
    return leaf_hash(LEAF_TYPES, (salt, name, value_hash(value)))


def new_salts(names: list[str]) -> dict[str, bytes]:
    return {name: os.urandom(SALT_BYTES) for name in names}


@dataclass(frozen=True)
class Commitment:
    """The tree of one record version; ``fields`` and ``salts`` are secret, ``root`` is public."""

    fields: dict[str, Any]
    salts: dict[str, bytes]
    tree: StandardMerkleTree
    order: list[str]

    @property
    def root(self) -> bytes:
        return self.tree.root

    def proof(self, name: str) -> list[bytes]:
        return self.tree.proof(self.order.index(name))


def commit(fields: Mapping[str, Any], salts: Mapping[str, bytes]) -> Commitment:
    """The commitment of ``fields`` with their ``salts`` (one salt per field)."""
    if set(fields) != set(salts):
        raise InvalidRecord("every field needs exactly one salt")
    if not fields:
        raise InvalidRecord("a record needs at least one field")
    order = sorted(fields)
    values = [(salts[name], name, value_hash(fields[name])) for name in order]
    return Commitment(dict(fields), dict(salts), StandardMerkleTree(values, LEAF_TYPES), order)


def verify_field(root: bytes, salt: bytes, name: str, value: Any, proof: list[bytes]) -> bool:
    """Off-chain twin of ``RecordRegistry.verifyField``."""
    return process_proof(field_leaf(salt, name, value), proof) == root
