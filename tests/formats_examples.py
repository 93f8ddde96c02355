"""The worked examples of docs/FORMATS.md, computed with the project's own code from fixed inputs.

``python -m tests.formats_examples`` prints them as the JSON blocks the page carries;
tests/store/test_formats.py recomputes every block on the page and compares. Every key is a
well-known development key and every value invented."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import keccak

from ledger.access.reads import digest as read_digest
from ledger.access.reads import typed_data as read_typed
from ledger.chain.forwarder import typed_data as forward_typed
from ledger.commitments.merkle import StandardMerkleTree
from ledger.commitments.record import canonical_json, commit, field_leaf, value_hash
from ledger.crypto.siwe import SiweMessage
from ledger.crypto.subjects import subject_id
from ledger.ids import code_id, salted_hash
from ledger.local.devkeys import dev_account
from ledger.store.trail import content_hash
from ledger.trail import receipts

CHAIN_ID = 31337
FORWARDER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # the local demo's first deployment
ACCESS_TRAIL = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9"
ACCESS_REGISTRY = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
OFFICER = dev_account(12)  # WELL-KNOWN DEV KEY: the demo's civil affairs officer
NODE = dev_account(21)  # WELL-KNOWN DEV KEY: rc-east's node (anchor account)
RC_EAST = "0x" + code_id("rc-east").hex()
SALT = lambda n: "0x" + (bytes([n]) * 32).hex()  # noqa: E731  (fixed salts, for the examples only)


def _signed(account: Any, signable: Any) -> dict[str, str]:
    s = account.sign_message(signable)
    return {
        "digest": "0x" + bytes(s.message_hash).hex(),
        "signer": account.address,
        "signature": "0x" + bytes(s.signature).hex(),
    }


def siwe() -> dict[str, Any]:
    text = SiweMessage(
        domain="127.0.0.1:8000",
        address=OFFICER.address,
        uri="http://127.0.0.1:8000",
        chain_id=CHAIN_ID,
        nonce="Qm3kX9aPz2LrT8vW1yB5cD7e",
        issued_at="2026-11-22T10:00:00Z",
        statement="Sign in to Civic Ledger",
        expiration_time="2026-11-22T10:05:00Z",
    ).text()
    return {"example": "siwe", "message": text, **_signed(OFFICER, encode_defunct(text=text))}


def forward_request() -> dict[str, Any]:
    data = "0x" + keccak(b"revokeGrant(uint256)")[:4].hex() + (7).to_bytes(32, "big").hex()
    typed = forward_typed(
        forwarder=FORWARDER,
        chain_id=CHAIN_ID,
        sender=OFFICER.address,
        to=ACCESS_REGISTRY,
        data=bytes.fromhex(data[2:]),
        gas=300_000,
        nonce=0,
        deadline=1_795_000_000,
    )
    return {"example": "forward-request", "typedData": typed, **_signed(OFFICER, encode_typed_data(full_message=typed))}


def read_request() -> dict[str, Any]:
    typed = read_typed(
        chain_id=CHAIN_ID,
        verifying_contract=ACCESS_TRAIL,
        reader=OFFICER.address,
        custodian=code_id("rc-east"),
        record_id=bytes.fromhex("f449d369a5e43947ab7f8b122e8b301d785eec6f0494a7cc1016cc015e4515fa"),
        fields=["address", "income_band"],
        purpose=code_id("subsistence_review"),
        grant_id=1,
        emergency_id=0,
        nonce=bytes([0x42]) * 32,
        deadline=1_795_000_000,
    )
    return {"example": "read-request", "typedData": typed, **_signed(OFFICER, encode_typed_data(full_message=typed))}


def access_receipt() -> dict[str, Any]:
    message = {"custodian": RC_EAST, "seq": 1, "eventHash": "0x" + "ab" * 32, "anchorBy": 1_795_000_031}
    typed = receipts.typed("AccessReceipt", message, chain_id=CHAIN_ID, verifying_contract=ACCESS_TRAIL)
    return {"example": "access-receipt", "typedData": typed, **_signed(NODE, encode_typed_data(full_message=typed))}


def trail_head() -> dict[str, Any]:
    message = {"custodian": RC_EAST, "subject": "0x" + "cd" * 32, "lastSeq": 7, "count": 3, "issuedAt": 1_795_000_000}
    typed = receipts.typed("TrailHead", message, chain_id=CHAIN_ID, verifying_contract=ACCESS_TRAIL)
    return {"example": "trail-head", "typedData": typed, **_signed(NODE, encode_typed_data(full_message=typed))}


def record_commitment() -> dict[str, Any]:
    fields = {"address": "East Gate Lane 3, unit 12", "members": 3, "phone": None}
    salts = {name: bytes.fromhex(SALT(i + 1)[2:]) for i, name in enumerate(sorted(fields))}
    c = commit(fields, salts)
    return {
        "example": "record-commitment",
        "fields": fields,
        "salts": {k: "0x" + v.hex() for k, v in salts.items()},
        "canonicalValues": {k: canonical_json(v).decode() for k, v in fields.items()},
        "valueHashes": {k: "0x" + value_hash(v).hex() for k, v in fields.items()},
        "leaves": {k: "0x" + field_leaf(salts[k], k, v).hex() for k, v in fields.items()},
        "commitment": "0x" + c.root.hex(),
        "proofOfAddress": ["0x" + p.hex() for p in c.proof("address")],
    }


def event_hash() -> dict[str, Any]:
    content = {
        "body": RC_EAST,
        "seq": 1,
        "reader": OFFICER.address,
        "readerBody": "0x" + code_id("civil-affairs").hex(),
        "recordId": "0xf449d369a5e43947ab7f8b122e8b301d785eec6f0494a7cc1016cc015e4515fa",
        "version": 1,
        "subjectId": "0x" + "cd" * 32,
        "category": "household",
        "fields": ["address", "income_band"],
        "purpose": "subsistence_review",
        "grantId": 1,
        "emergencyId": 0,
        "subjectPrev": 0,
        "block": 44,
        "at": dt.datetime(2026, 11, 22, 10, 0, 0, 123456, dt.UTC).isoformat(timespec="microseconds"),
        "requestDigest": read_request()["digest"],
        "signature": read_request()["signature"],
    }
    return {
        "example": "event-hash",
        "content": content,
        "canonical": canonical_json(content).decode(),
        "eventHash": content_hash(content),
    }


def batch() -> dict[str, Any]:
    leaves = [(1, "0x" + "ab" * 32), (2, "0x" + "ef" * 32)]
    tree = StandardMerkleTree([(s, bytes.fromhex(h[2:])) for s, h in leaves], ("uint64", "bytes32"))
    return {
        "example": "trail-batch",
        "leaves": [{"seq": s, "eventHash": h} for s, h in leaves],
        "root": "0x" + tree.root.hex(),
        "proofOfSeq1": ["0x" + p.hex() for p in tree.proof(0)],
    }


def salted_text() -> dict[str, Any]:
    text, salt = "Annual subsistence allowance review", SALT(7)
    digest, _ = salted_hash(text, bytes.fromhex(salt[2:]))
    return {"example": "salted-text", "text": text, "salt": salt, "hash": "0x" + digest.hex()}


def subject() -> dict[str, Any]:
    secret = "0x" + "11" * 32  # an invented consortium secret
    nid = "110105196001011239"
    return {
        "example": "subject-id",
        "nationalId": nid,
        "consortiumSecret": secret,
        "subjectId": "0x" + subject_id(nid, bytes.fromhex(secret[2:])).hex(),
    }


EXAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "siwe": siwe,
    "forward-request": forward_request,
    "read-request": read_request,
    "access-receipt": access_receipt,
    "trail-head": trail_head,
    "record-commitment": record_commitment,
    "event-hash": event_hash,
    "trail-batch": batch,
    "salted-text": salted_text,
    "subject-id": subject,
}


def direct_read_digest(block: dict[str, Any]) -> str:
    """The read request's digest by the project's direct encoder (what the audit uses)."""
    return "0x" + read_digest(block["typedData"]).hex()


if __name__ == "__main__":
    for name, make in EXAMPLES.items():
        print(f"--- {name}\n```json\n{json.dumps(make(), indent=2, ensure_ascii=False)}\n```\n")
