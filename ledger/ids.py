"""Identifiers shared by the contracts and the Python side.

Bodies, categories and purposes are short ASCII codes stored as ``bytes32`` (left-aligned,
zero-padded, as Solidity's ``bytes32("household")``), so events stay readable. Record ids
are random. None of these carries personal data.
"""

from __future__ import annotations

import os
import re
from enum import IntEnum, IntFlag

from eth_utils import keccak

from ledger.errors import InvalidRecord, LedgerError

#: A short code (body, category, purpose): 1-31 characters a-z, 0-9, "_", ".", "-", starting alphanumeric.
CODE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,30}$"
_CODE = re.compile(CODE_PATTERN)


class InvalidIdentifier(LedgerError):
    code = "invalid_identifier"


class Role(IntFlag):
    """Role bits of a member (``contracts/interfaces/IBodyRegistry.sol``)."""

    ADMIN = 1
    OFFICER = 2
    AUDITOR = 4
    EMERGENCY = 8
    ANCHOR = 16


class BodyKind(IntEnum):
    RESIDENTS_COMMITTEE = 0
    SUBDISTRICT_OFFICE = 1
    DEPARTMENT = 2
    AUDITOR = 3
    OVERSIGHT = 4


def code_id(code: str) -> bytes:
    """``bytes32`` of a short code: 1–31 chars of ``a-z 0-9 _ . -``, starting alphanumeric."""
    if not isinstance(code, str) or not _CODE.match(code):
        raise InvalidIdentifier(f"invalid code {code!r}: use 1-31 characters a-z, 0-9, '_', '.', '-'")
    return code.encode("ascii").ljust(32, b"\0")


def code_name(value: bytes) -> str:
    """The code a ``bytes32`` from :func:`code_id` was made from."""
    return bytes(value).rstrip(b"\0").decode("ascii", errors="replace")


def text_hash(text: str) -> bytes:
    """keccak256 of UTF-8 text (body names, field names, justifications)."""
    return keccak(text.encode("utf-8"))


def salted_hash(text: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    """(keccak256(salt ‖ UTF-8 text), salt), with a fresh 32-byte salt unless one is given.

    For free text that goes on-chain only as a hash (justifications, reasons, evidence):
    it may name people, so its hash must not be confirmable by guessing the text. Whoever
    keeps the text and the salt can prove it later.
    """
    salt = os.urandom(32) if salt is None else salt
    return keccak(salt + text.encode("utf-8")), salt


def new_record_id() -> bytes:
    return os.urandom(32)


def field_mask(field_hashes: list[bytes], names: list[str]) -> int:
    """The bit mask of ``names`` in a category whose fields hash to ``field_hashes``."""
    index = {bytes(h): i for i, h in enumerate(field_hashes)}
    mask = 0
    for name in names:
        i = index.get(text_hash(name))
        if i is None:
            raise InvalidIdentifier(f"unknown field {name!r} for this category")
        mask |= 1 << i
    return mask


def hex32(value: bytes) -> str:
    """A bytes32 as the API and the events show it: 0x and 64 hex digits."""
    return "0x" + value.hex()


def unhex32(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def parse_record_id(value: str) -> bytes:
    """A record id (or any bytes32) from its 0x hex form; refused unless it is exactly 32 bytes."""
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InvalidRecord("a record id is 0x and 64 hex digits")
    return raw
