"""Decode contract reverts into the domain exceptions of :mod:`ledger.errors`.

Every custom error in the compiled ABIs (ours and OpenZeppelin's) is indexed by selector;
revert data is decoded into the error's name and named arguments, then mapped to an
exception class by what the error means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from ledger import errors as E

_EXACT: dict[str, type[E.ContractRevert]] = {
    "ERC2771ForwarderInvalidSigner": E.ForwardRequestInvalid,
    "ERC2771ForwarderExpiredRequest": E.ForwardRequestInvalid,
    "InvalidAccountNonce": E.ForwardRequestInvalid,
    "ERC2771UntrustfulTarget": E.ForwardRequestInvalid,
    "BodyRegistryNotMember": E.NotFound,
    "ResidentRegistryNotBound": E.NotFound,
    "ResidentRegistryNotEnrolled": E.NotFound,
    "ResidentRegistryNotResidentsCommittee": E.NotAuthorized,
    "ResidentRegistryNotTransferParty": E.NotAuthorized,
    "ResidentRegistryOnlyRecordRegistry": E.NotAuthorized,
    "ResidentRegistryEnrolled": E.Conflict,
    "BodyRegistryProposalExpired": E.Conflict,
    "AccessRegistryNotConsentAuthority": E.NotAuthorized,
    "AccessRegistryResidentDecided": E.Conflict,
    "PostsAssignmentEnded": E.Conflict,
    "PostsNotCommittee": E.NotAuthorized,
    "SealsNotSealer": E.NotAuthorized,
    "SealsNotOversight": E.NotAuthorized,
    "SealsNotOwnTarget": E.NotAuthorized,
    "SealsAlreadySealed": E.Conflict,
    "SealsSealEnded": E.Conflict,
}

# Checked in order against the error's name, after the exact table.
_BY_PART: tuple[tuple[str, type[E.ContractRevert]], ...] = (
    ("Unauthorized", E.NotAuthorized),
    ("NotCustodian", E.NotAuthorized),
    ("Unknown", E.NotFound),
    ("Exists", E.Conflict),
    ("AlreadyVoted", E.Conflict),
    ("Closed", E.Conflict),
    ("NotPending", E.Conflict),
    ("Reviewed", E.Conflict),
    ("Taken", E.Conflict),
    ("Bound", E.Conflict),
    ("Gap", E.Conflict),
    ("VersionMismatch", E.Conflict),
    ("Erased", E.Conflict),
    ("NotActive", E.Conflict),
    ("Inactive", E.Conflict),
)


def abi_type(param: dict[str, Any]) -> str:
    """The canonical ABI type of a parameter, tuples spelled out (``(bytes32,uint8)[]``)."""
    t = param["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(abi_type(c) for c in param["components"]) + ")" + str(t[5:])
    return str(t)


class ErrorDecoder:
    """Maps 4-byte selectors of every custom error in ``abis`` to name and argument types."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [abi_type(p) for p in item["inputs"]]
                sig = f"{item['name']}({','.join(types)})"
                names = [p["name"] or f"arg{i}" for i, p in enumerate(item["inputs"])]
                self._errors[function_signature_to_4byte_selector(sig)] = (item["name"], types, names)

    def decode(self, data: bytes | str | None) -> tuple[str, dict[str, Any]] | None:
        if data is None:
            return None
        raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else bytes(data)
        if len(raw) < 4 or raw[:4] not in self._errors:
            return None
        name, types, names = self._errors[raw[:4]]
        try:
            values = decode(types, raw[4:])
        except Exception:  # noqa: BLE001 — malformed revert data: report the name alone
            return name, {}
        args = {n: (to_checksum_address(v) if t == "address" else v) for n, t, v in zip(names, types, values, strict=True)}
        return name, args

    def to_exception(self, data: bytes | str | None, fallback: str = "") -> E.LedgerError:
        decoded = self.decode(data)
        if decoded is None:
            return E.TransactionFailed(fallback or "the contract reverted without a known error")
        name, args = decoded
        return exception_for(name, args)


#: Contract errors about a value the caller gave (not the resource asked for): 422 with a code of their own.
_INPUT: dict[str, tuple[str, str]] = {
    "AccessRegistryUnknownPurpose": (
        "unknown_purpose",
        "there is no purpose code {purpose}; the consortium's purposes are listed at GET /catalog",
    ),
    "ResidentRegistryNotCommittee": ("not_a_committee", "{body} is not an active residents' committee"),
    "RecordRegistryUnknownCategory": (
        "unknown_category",
        "there is no record category {category}; the categories are listed at GET /catalog",
    ),
    "PostsUnknownPost": ("unknown_post", "there is no post code {post}; the consortium's posts are listed at GET /posts"),
    "AccessRegistryUnknownPost": (
        "unknown_post",
        "there is no post code {post} (standing agreements name no post); the posts are listed at GET /posts",
    ),
    "PostsUnknownGrid": ("unknown_grid", "{body} has no grid {grid}; its grids are listed at GET /grids"),
    "ResidentRegistryUnknownGrid": ("unknown_grid", "{committee} has no grid {grid}; its grids are listed at GET /grids"),
    "PostsInvalidPeriod": (
        "invalid_input",
        "an assignment runs from a time until a later one, in the future (from {from}, until {until})",
    ),
    "PostsInvalidName": ("invalid_input", "a grid's name is 1 to 64 bytes: a place, never a person"),
    "SealsInvalidUntil": (
        "invalid_seal_end",
        "a seal ends after now and at most 90 days after it starts, or after the end it extends: no later than "
        "{latest} (Unix time), not {until}",
    ),
    "SealsInvalidTarget": ("invalid_input", "a seal covers a grant (1) or an emergency declaration (2), not {target}"),
}
_CONTRACTS = (
    "Posts",
    "BodyRegistry",
    "RecordRegistry",
    "ResidentRegistry",
    "AccessRegistry",
    "AccessTrail",
    "Seals",
    "ERC2771Forwarder",
)


def exception_for(name: str, args: dict[str, Any]) -> E.ContractRevert:
    shown = {k: _show(v) for k, v in args.items()}
    if name in _INPUT:
        code, words = _INPUT[name]
        return E.InvalidInput(words.format(**shown), error=name, args=args, code=code)
    cls: type[E.ContractRevert] = _EXACT.get(name) or next((c for part, c in _BY_PART if part in name), E.InvalidInput)
    return cls(_words(name, shown), error=name, args=args)


#: Errors worded as a person reads them (the others are spelled from their names, :func:`_words`).
_SAID: dict[str, str] = {
    "SealsNotSealer": "{body} may not seal reads: the consortium's founding body decides which departments may",
    "SealsNotOversight": "only an oversight body extends a seal; {body} is not one (a sealer never extends its own)",
    "SealsNotOwnTarget": "{body} seals only its own grants and emergency declarations",
    "SealsAlreadySealed": "this grant or emergency is under seal {sealId} already",
    "SealsSealEnded": "seal {sealId} has ended (released, or past its date): an ended seal stays ended",
    "SealsUnauthorized": "{account} may not do this: only an officer or admin of the body concerned",
    "SealsUnknownSeal": "there is no seal {sealId}",
}


def _words(name: str, shown: dict[str, str]) -> str:
    """``AccessRegistryRequestNotPending(requestId=3)`` as "request not pending (requestId 3)"."""
    if name in _SAID:
        return _SAID[name].format(**shown)
    for prefix in _CONTRACTS:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    details = ", ".join(f"{k} {v}" for k, v in shown.items())
    return f"{words} ({details})" if details else words


def _show(value: Any) -> str:
    """A value as a person reads it: a bytes32 code (body, category, purpose) as its text."""
    if isinstance(value, bytes):
        text = value.rstrip(b"\0")
        if len(value) == 32 and text and all(32 < c < 127 for c in text) and len(text) < 32:
            return text.decode("ascii")
        return "0x" + value.hex()
    return str(value)
