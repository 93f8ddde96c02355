"""Selective disclosure: some fields of a record version, verifiable against the chain alone.

A bundle carries, for each disclosed field, its value, salt and Merkle proof, plus the
record id, version, commitment and the transaction that anchored it. It carries nothing
of the other fields: a proof holds only hashes of salted leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.chain.client import Chain
from ledger.chain.deploy import Contracts
from ledger.chain.records import RecordStatus
from ledger.commitments.record import value_hash, verify_field
from ledger.errors import DisclosureInvalid, LedgerError, NotFound
from ledger.ids import hex32
from ledger.records.store import RecordContent

SCHEMA = "civic-ledger/disclosure@1"


def build_bundle(content: RecordContent, names: list[str], *, chain: Chain) -> dict[str, Any]:
    """The disclosure of ``names`` of a decrypted, verified record version."""
    if not names:
        raise DisclosureInvalid("name at least one field to disclose", reason="no_fields")
    unknown = sorted(set(names) - set(content.fields))
    if unknown:
        raise DisclosureInvalid(f"the record has no field(s) {', '.join(unknown)}", reason="unknown_field")
    if content.version.anchor_tx is None:
        raise DisclosureInvalid("this version is not anchored on-chain yet; try again once it is", reason="not_anchored")
    c = content.commitment
    return {
        "schema": SCHEMA,
        "chainId": chain.chain_id,
        "recordRegistry": chain.contract("RecordRegistry").address,
        "recordId": content.record.record_id,
        "version": content.version.version,
        "commitment": hex32(c.root),
        "anchor": {"transactionHash": content.version.anchor_tx, "blockNumber": content.version.anchor_block},
        "fields": [
            {"name": n, "value": c.fields[n], "salt": hex32(c.salts[n]), "proof": [hex32(p) for p in c.proof(n)]}
            for n in sorted(set(names))
        ],
    }


@dataclass(frozen=True)
class VerifiedDisclosure:
    record_id: str
    version: int
    fields: dict[str, Any]
    erased: bool  # the record was erased since; the disclosed version's commitment still stands


def _b32(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(str(value).removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise DisclosureInvalid(f"{what} is not 32 bytes of hex", reason="malformed")
    return raw


def verify_bundle(bundle: Any, contracts: Contracts) -> VerifiedDisclosure:
    """Checks a bundle against the chain only; raises :class:`DisclosureInvalid` naming the failed step.

    1. The bundle is well formed and names this chain and the consortium's record registry.
    2. The chain's commitment of (record id, version) is the bundle's commitment.
    3. The named transaction anchored exactly that commitment for that version.
    4. Each field's leaf (salt, name, keccak256 of its RFC 8785 value) proves into the
       commitment, checked by ``RecordRegistry.verifyField`` through an RPC call.
    """
    chain = contracts.chain
    registry = contracts.records.handle
    # 1. shape, chain and registry
    if not isinstance(bundle, dict) or bundle.get("schema") != SCHEMA:
        raise DisclosureInvalid(f"not a disclosure bundle ({SCHEMA})", reason="malformed")
    try:
        record_id = _b32(bundle["recordId"], "recordId")
        version = int(bundle["version"])
        if not 1 <= version < 2**32:  # a uint32, as the record registry keeps it
            raise ValueError(f"version {version} is not between 1 and 2**32 - 1")
        commitment = _b32(bundle["commitment"], "commitment")
        fields = list(bundle["fields"])
        anchor_tx = str(bundle["anchor"]["transactionHash"])
        chain_id, registry_address = int(bundle["chainId"]), str(bundle["recordRegistry"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DisclosureInvalid(f"malformed bundle: {exc}", reason="malformed") from None
    if chain_id != chain.chain_id or registry_address.lower() != registry.address.lower():
        raise DisclosureInvalid("the bundle is for another chain or another record registry", reason="wrong_chain")
    # 2. on-chain commitment
    try:
        on_chain = contracts.records.commitment_of(record_id, version)
        state = contracts.records.get_record(record_id)
    except NotFound:
        raise DisclosureInvalid("the chain has no such record version", reason="unknown_version") from None
    if on_chain != commitment:
        raise DisclosureInvalid("the commitment differs from the chain's for this version", reason="commitment")
    # 3. the anchoring transaction
    try:
        receipt = chain.blocks.receipt(anchor_tx)
    except Exception:  # noqa: BLE001 — whatever the node answers, the transaction is not there
        receipt = None
    if receipt is None:
        raise DisclosureInvalid("the anchoring transaction is not on the chain", reason="anchor")
    event = "RecordRegistered" if version == 1 else "RecordUpdated"
    anchored = [
        e
        for e in registry.events(receipt, event)
        if bytes(e["recordId"]) == record_id and bytes(e["commitment"]) == commitment and int(e.get("version", 1)) == version
    ]
    if receipt["status"] != 1 or not anchored:
        raise DisclosureInvalid("the named transaction did not anchor this version", reason="anchor")
    # 4. each field
    seen: dict[str, Any] = {}
    for item in fields:
        try:
            name, value, salt = str(item["name"]), item["value"], _b32(item["salt"], "salt")
            proof = [_b32(p, "proof step") for p in item["proof"]]
        except (KeyError, TypeError) as exc:
            raise DisclosureInvalid(f"malformed field entry: {exc}", reason="malformed") from None
        if name in seen:
            raise DisclosureInvalid(f"field {name!r} appears twice", reason="malformed")
        try:
            vh = value_hash(value)
        except LedgerError:
            raise DisclosureInvalid(f"field {name!r} has a value that is not canonical JSON", reason="field") from None
        if not verify_field(commitment, salt, name, value, proof) or not contracts.records.verify_field(
            record_id, version, salt, name, vh, proof
        ):
            raise DisclosureInvalid(f"field {name!r} does not verify against the commitment", reason="field")
        seen[name] = value
    if not seen:
        raise DisclosureInvalid("the bundle discloses no field", reason="no_fields")
    return VerifiedDisclosure(hex32(record_id), version, seen, state.status is RecordStatus.ERASED)
