"""Reads: a reader's signed request, the access check, the access event, the disclosure.

A read is a request the reader signs with their own key (EIP-712 ``ReadRequest``): which
fields of which record, for which purpose, under which grant (or emergency declaration),
with a random nonce and a deadline. The custodian's node serves it in this order, so a
refused read changes nothing and an answered read always has its event:

1. the request is well formed, for this chain and this node, not expired, and signed by
   the signed-in account, which is also its ``reader``;
2. the chain allows it now: the reader is a member of a body, and ``checkAccess`` under the named
   grant (or ``checkEmergency`` under the named declaration, for its purpose) allows it, both
   asked at the head block the node follows, in one JSON-RPC batch or from that block's answers
   (:mod:`ledger.chain.head`); the event records the block, and the audit re-checks it there
   (:mod:`ledger.access.rule`);
3. the record is decrypted and checked against its commitment;
4. the access event, with the signed request, is committed to the trail, together with those of
   concurrent reads (group commit); a request served before is refused there, on its digest;
5. only then is the disclosure bundle (the requested fields only) returned.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import Any

import coincurve
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from ledger.chain.access import Decision
from ledger.chain.deploy import Contracts
from ledger.chain.forwarder import EIP712_DOMAIN
from ledger.chain.head import Questions, follow_chain
from ledger.commitments.disclosure import build_bundle
from ledger.crypto.keccak import keccak
from ledger.errors import InvalidInput, NotAuthorized, ReadRequestInvalid, RecordErased
from ledger.ids import code_id, code_name, hex32, parse_record_id
from ledger.records.store import RecordStore
from ledger.store.models import AccessEvent
from ledger.store.trail import NewEvent, Trail

DOMAIN_NAME = "CivicLedgerRead"
DOMAIN_VERSION = "1"
#: Longest a signed read request stays valid, seconds.
MAX_TTL = 900
DEFAULT_TTL = 300

READ_REQUEST_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": EIP712_DOMAIN,
    "ReadRequest": [
        {"name": "reader", "type": "address"},
        {"name": "custodian", "type": "bytes32"},
        {"name": "recordId", "type": "bytes32"},
        {"name": "fields", "type": "string[]"},
        {"name": "purpose", "type": "bytes32"},
        {"name": "grantId", "type": "uint256"},
        {"name": "emergencyId", "type": "uint256"},
        {"name": "nonce", "type": "bytes32"},
        {"name": "deadline", "type": "uint64"},
    ],
}


def typed_data(*, chain_id: int, verifying_contract: str, reader: str, custodian: bytes, record_id: bytes,
               fields: list[str], purpose: bytes, grant_id: int, emergency_id: int, nonce: bytes,
               deadline: int) -> dict[str, Any]:
    """The EIP-712 typed data of a read request (``eth_signTypedData_v4``)."""
    return {
        "types": READ_REQUEST_TYPES,
        "primaryType": "ReadRequest",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
                   "verifyingContract": verifying_contract},
        "message": {"reader": reader, "custodian": hex32(custodian), "recordId": hex32(record_id),
                    "fields": sorted(fields), "purpose": hex32(purpose), "grantId": grant_id,
                    "emergencyId": emergency_id, "nonce": hex32(nonce), "deadline": deadline},
    }


_DOMAIN_TYPEHASH = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_READ_TYPEHASH = keccak(b"ReadRequest(address reader,bytes32 custodian,bytes32 recordId,string[] fields,"
                        b"bytes32 purpose,uint256 grantId,uint256 emergencyId,bytes32 nonce,uint64 deadline)")


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_READ_FIELDS = {f["name"] for f in READ_REQUEST_TYPES["ReadRequest"]}


def _word(value: Any, bits: int = 256) -> bytes:
    n = int(value)
    if isinstance(value, bool) or not 0 <= n < 1 << bits:
        raise ValueError(f"{value!r} is not a uint{bits}")
    return n.to_bytes(32, "big")


def _fixed(value: Any, size: int) -> bytes:
    raw = bytes(HexBytes(str(value)))
    if len(raw) != size or not str(value).startswith("0x"):
        raise ValueError(f"{value!r} is not {size} bytes of 0x hex")
    return raw.rjust(32, b"\0")


@functools.lru_cache(maxsize=64)
def _domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    return keccak(_DOMAIN_TYPEHASH + keccak(DOMAIN_NAME.encode()) + keccak(DOMAIN_VERSION.encode())
                  + _word(chain_id) + _fixed(verifying_contract, 20))


def message_digest(message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> bytes:
    """The EIP-712 digest of a ``ReadRequest`` message, computed directly (what ``eth_account``'s
    generic encoder gives, about ten times faster: the audit hashes every event's request)."""
    m = message
    if set(m) != _READ_FIELDS:
        raise ValueError(f"a ReadRequest has exactly the fields {', '.join(sorted(_READ_FIELDS))}")
    if not isinstance(m["fields"], list):
        raise ValueError("fields must be a list of strings")
    fields = keccak(b"".join(keccak(str(f).encode()) for f in m["fields"]))
    struct = keccak(_READ_TYPEHASH + _fixed(m["reader"], 20) + _fixed(m["custodian"], 32) + _fixed(m["recordId"], 32)
                    + fields + _fixed(m["purpose"], 32) + _word(m["grantId"]) + _word(m["emergencyId"])
                    + _fixed(m["nonce"], 32) + _word(m["deadline"], 64))
    return keccak(b"\x19\x01" + _domain_separator(int(chain_id), str(verifying_contract).lower()) + struct)


def digest(typed: dict[str, Any]) -> bytes:
    """The EIP-712 digest that is signed (of typed data with :data:`READ_REQUEST_TYPES`)."""
    if typed.get("types") != READ_REQUEST_TYPES or typed.get("primaryType") != "ReadRequest":
        raise ValueError("not a ReadRequest")
    d = typed["domain"]
    if (d.get("name"), d.get("version")) != (DOMAIN_NAME, DOMAIN_VERSION) or set(d) != {
            "name", "version", "chainId", "verifyingContract"}:
        raise ValueError("not the CivicLedgerRead domain")
    return message_digest(typed["message"], chain_id=d["chainId"], verifying_contract=d["verifyingContract"])


def recover_digest(signed: bytes, signature: str) -> str:
    """The account whose 65-byte signature (r ‖ s ‖ v) signed the 32-byte digest ``signed``."""
    raw = bytes(HexBytes(signature))
    if len(raw) != 65:
        raise ValueError("a signature is 65 bytes")
    v = raw[64] - 27 if raw[64] >= 27 else raw[64]
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    if v not in (0, 1) or not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N) or len(signed) != 32:
        raise ValueError("not a valid signature")
    try:  # libsecp256k1 directly: the audit recovers every event's signer
        public = coincurve.PublicKey.from_signature_and_message(raw[:64] + bytes([v]), signed, hasher=None)
    except Exception as exc:  # noqa: BLE001 — coincurve raises a bare Exception for an unrecoverable signature
        raise ValueError(f"not a valid signature: {exc}") from None
    return to_checksum_address(keccak(public.format(compressed=False)[1:])[-20:])


def recover(typed: dict[str, Any], signature: str) -> str:
    """The account that signed ``typed``; raises ValueError on a malformed request or signature."""
    return recover_digest(digest(typed), signature)


@dataclass(frozen=True)
class SignedRead:
    reader: str
    custodian: bytes
    record_id: bytes
    fields: list[str]
    purpose: bytes
    grant_id: int
    emergency_id: int
    deadline: int
    typed: dict[str, Any]
    signature: str
    digest: str


def parse(typed: Any, signature: str, *, chain_id: int, verifying_contract: str, now: int | None = None) -> SignedRead:
    """Checks a signed read request's form, domain, deadline and signature (step 1 without the account)."""
    now = int(time.time()) if now is None else now
    if not isinstance(typed, dict) or typed.get("primaryType") != "ReadRequest" \
            or typed.get("types") != READ_REQUEST_TYPES:
        raise ReadRequestInvalid("typedData must be a ReadRequest as /reads/prepare made it", reason="malformed")
    try:
        domain, m = typed["domain"], typed["message"]
        if (domain.get("name"), domain.get("version")) != (DOMAIN_NAME, DOMAIN_VERSION) \
                or int(domain["chainId"]) != chain_id \
                or str(domain["verifyingContract"]).lower() != verifying_contract.lower():
            raise ReadRequestInvalid("the read request is for another chain or consortium", reason="domain")
        fields = [str(f) for f in m["fields"]]
        signed = digest(typed)
        read = SignedRead(
            reader=str(m["reader"]), custodian=parse_record_id(str(m["custodian"])),
            record_id=parse_record_id(str(m["recordId"])), fields=fields, purpose=parse_record_id(str(m["purpose"])),
            grant_id=int(m["grantId"]), emergency_id=int(m["emergencyId"]), deadline=int(m["deadline"]),
            typed=typed, signature=signature, digest="0x" + signed.hex())
        signer = recover_digest(signed, signature)
    except ReadRequestInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReadRequestInvalid(f"malformed read request: {exc}", reason="malformed") from None
    if not fields or len(set(fields)) != len(fields):
        raise ReadRequestInvalid("name each field to read once", reason="fields")
    if read.deadline <= now:
        raise ReadRequestInvalid("the read request has expired; sign a new one", reason="expired")
    if read.deadline > now + MAX_TTL:
        raise ReadRequestInvalid(f"a read request may be valid for at most {MAX_TTL} seconds", reason="deadline")
    if signer.lower() != read.reader.lower():
        raise ReadRequestInvalid("the signature is not the reader's", reason="signature")
    return read


@dataclass(frozen=True)
class OpenedRead:
    bundle: dict[str, Any]
    event: NewEvent


@dataclass(frozen=True)
class ReadResult:
    bundle: dict[str, Any]
    event: AccessEvent


class ReadService:
    """Serves the reads of one custodian body's store."""

    def __init__(self, *, store: RecordStore, trail: Trail, questions: Questions | None = None) -> None:
        self.store = store
        self.trail = trail
        self.c: Contracts = store.c
        self.questions = questions or follow_chain(self.c.chain)

    @property
    def verifying_contract(self) -> str:
        return self.c.chain.contract("AccessTrail").address

    def _mask(self, category: str, fields: list[str]) -> int:
        names = self.store.schema(category)
        unknown = sorted(set(fields) - set(names))
        if unknown:
            raise InvalidInput(f"category {category!r} has no field(s) {', '.join(unknown)}", error="UnknownField")
        return sum(1 << names.index(f) for f in set(fields))

    def prepare(self, *, reader: str, record_id: bytes, fields: list[str], purpose: str, emergency_id: int = 0,
                ttl: int = DEFAULT_TTL) -> dict[str, Any]:
        """The read request ``reader`` must sign; refused now (403) if the chain would refuse it."""
        record = self.store.get(record_id)
        if record.status == "erased":
            raise RecordErased(f"record {record.record_id} was erased")
        mask = self._mask(record.category, fields)
        pid = code_id(purpose)
        grant_id = 0
        if emergency_id:
            q = self.questions
            Decision(q.ask(q.head.current(), q.question("AccessRegistry", "checkEmergency", emergency_id, reader,
                                                        record_id, mask, pid))[0]).raise_if_denied()
        else:
            q = self.questions
            found = q.ask(q.head.current(), q.question("AccessRegistry", "findGrant", reader, record_id, mask, pid))[0]
            decision, grant_id = Decision(found[0]), int(found[1])
            decision.raise_if_denied()
        return typed_data(chain_id=self.c.chain.chain_id, verifying_contract=self.verifying_contract, reader=reader,
                          custodian=self.store.body, record_id=record_id, fields=fields, purpose=pid,
                          grant_id=grant_id, emergency_id=emergency_id, nonce=os.urandom(32),
                          deadline=int(time.time()) + min(ttl, MAX_TTL))

    def serve(self, *, typed: Any, signature: str, signed_in: str) -> ReadResult:
        """Serves a signed read request of the signed-in account (steps 1-5 of the module doc)."""
        opened = self.open(typed=typed, signature=signature, signed_in=signed_in)
        # 4. the event, committed (a replayed request is refused here); 5. the answer
        return ReadResult(opened.bundle, self.trail.append(opened.event))

    def open(self, *, typed: Any, signature: str, signed_in: str) -> OpenedRead:
        """Steps 1-3: the request checked, the chain asked, the record decrypted; the bundle and the event
        to commit. The bundle must not leave before the event is committed (:meth:`serve`, or the API's
        route awaiting :meth:`Trail.submit`)."""
        # 1. form, domain, deadline, signature; the signer is the signed-in account
        read = parse(typed, signature, chain_id=self.c.chain.chain_id, verifying_contract=self.verifying_contract)
        if read.reader.lower() != signed_in.lower():
            raise NotAuthorized("the read request must be signed by the signed-in account, for itself",
                                error="WrongSigner")
        if read.custodian != self.store.body:
            raise ReadRequestInvalid("the read request is for another body's node", reason="custodian")
        # 2. the chain allows it now: membership and the access rule at the head block, asked together
        stored = self.store.fetch(read.record_id)  # sealed: decrypted only once the read is allowed
        record = stored.record
        mask = self._mask(record.category, read.fields)
        q = self.questions
        block = q.head.current()
        rule = q.question("AccessRegistry", "checkEmergency", read.emergency_id, read.reader, read.record_id, mask,
                          read.purpose) if read.emergency_id else \
            q.question("AccessRegistry", "checkAccess", read.reader, read.record_id, mask, read.purpose, read.grant_id)
        (reader_body, _roles), decision = q.ask(block, q.question("BodyRegistry", "memberOf", read.reader), rule)
        if bytes(reader_body) == ZERO:
            raise NotAuthorized(f"{read.reader} is not a member of any body", error="NotMember")
        Decision(decision).raise_if_denied()
        # 3. decrypt and verify; the bundle is ready before the event, sent only after it
        content = self.store.open_stored(stored)
        bundle = build_bundle(content, read.fields, chain=self.c.chain)
        return OpenedRead(bundle, NewEvent(
            reader=read.reader, reader_body=hex32(bytes(reader_body)), record_id=record.record_id,
            version=content.version.version, subject_id=record.subject_id, category=record.category,
            fields=read.fields, purpose=code_name(read.purpose), grant_id=read.grant_id,
            emergency_id=read.emergency_id, block=block, request=read.typed["message"], signature=read.signature,
            request_digest=read.digest))


ZERO = b"\0" * 32
