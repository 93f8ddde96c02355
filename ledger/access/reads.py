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
   (:mod:`ledger.access.rule`); so is the seal over its grant or emergency, if one is in force, which
   writes the event as sealed (hidden from the resident until the seal ends, :mod:`ledger.trail.seals`);
3. the record is decrypted and checked against its commitment;
4. the access event, with the signed request, is committed to the trail, together with those of
   concurrent reads (group commit); a request served before is refused there, on its digest;
5. only then is the disclosure bundle (the requested fields only) returned.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.chain.access import Decision
from ledger.chain.deploy import Contracts
from ledger.chain.head import Questions, follow_chain
from ledger.chain.views import BlockView, at
from ledger.commitments.disclosure import build_bundle
from ledger.crypto import eip712
from ledger.crypto.eip712 import TypedData
from ledger.errors import NotAuthorized, ReadRequestInvalid, RecordErased
from ledger.ids import code_id, code_name, hex32, parse_record_id
from ledger.records.store import RecordStore
from ledger.store.models import AccessEvent
from ledger.store.trail import NewEvent, Trail

DOMAIN_NAME, DOMAIN_VERSION = eip712.READS.name, eip712.READS.version
#: Longest a signed read request stays valid, seconds.
MAX_TTL = 900
DEFAULT_TTL = 300

READ_REQUEST_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": eip712.EIP712_DOMAIN,
    "ReadRequest": eip712.READ_REQUEST.types,
}
recover_digest = eip712.recover_digest


def typed_data(
    *,
    chain_id: int,
    verifying_contract: str,
    reader: str,
    custodian: bytes,
    record_id: bytes,
    fields: list[str],
    purpose: bytes,
    grant_id: int,
    emergency_id: int,
    nonce: bytes,
    deadline: int,
) -> TypedData:
    """The EIP-712 typed data of a read request (``eth_signTypedData_v4``)."""
    return eip712.READS.typed_data(
        eip712.READ_REQUEST,
        {
            "reader": reader,
            "custodian": hex32(custodian),
            "recordId": hex32(record_id),
            "fields": sorted(fields),
            "purpose": hex32(purpose),
            "grantId": grant_id,
            "emergencyId": emergency_id,
            "nonce": hex32(nonce),
            "deadline": deadline,
        },
        chain_id=chain_id,
        verifying_contract=verifying_contract,
    )


def message_digest(message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> bytes:
    """The EIP-712 digest of a ``ReadRequest`` message (the audit hashes every event's request)."""
    return eip712.READS.digest(eip712.READ_REQUEST, message, chain_id=chain_id, verifying_contract=verifying_contract)


def digest(typed: Mapping[str, Any]) -> bytes:
    """The EIP-712 digest that is signed (of typed data with :data:`READ_REQUEST_TYPES`)."""
    return eip712.READS.digest_of(typed, eip712.READ_REQUEST)


def recover(typed: Mapping[str, Any], signature: str) -> str:
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
    if not isinstance(typed, dict) or typed.get("primaryType") != "ReadRequest" or typed.get("types") != READ_REQUEST_TYPES:
        raise ReadRequestInvalid("typedData must be a ReadRequest as /reads/prepare made it", reason="malformed")
    try:
        domain, m = typed["domain"], typed["message"]
        if (
            (domain.get("name"), domain.get("version")) != (DOMAIN_NAME, DOMAIN_VERSION)
            or int(domain["chainId"]) != chain_id
            or str(domain["verifyingContract"]).lower() != verifying_contract.lower()
        ):
            raise ReadRequestInvalid("the read request is for another chain or consortium", reason="domain")
        fields = [str(f) for f in m["fields"]]
        signed = digest(typed)
        read = SignedRead(
            reader=str(m["reader"]),
            custodian=parse_record_id(str(m["custodian"])),
            record_id=parse_record_id(str(m["recordId"])),
            fields=fields,
            purpose=parse_record_id(str(m["purpose"])),
            grant_id=int(m["grantId"]),
            emergency_id=int(m["emergencyId"]),
            deadline=int(m["deadline"]),
            typed=typed,
            signature=signature,
            digest="0x" + signed.hex(),
        )
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

    def prepare(
        self,
        *,
        reader: str,
        record_id: bytes,
        fields: list[str],
        purpose: str,
        emergency_id: int = 0,
        ttl: int = DEFAULT_TTL,
    ) -> TypedData:
        """The read request ``reader`` must sign; refused now (403) if the chain would refuse it."""
        record = self.store.get(record_id)
        if record.status == "erased":
            raise RecordErased(f"record {record.record_id} was erased")
        mask = self.store.mask(record.category, fields)
        pid = code_id(purpose)
        grant_id = 0
        view = at(self.questions)
        if emergency_id:
            view.ask(view.emergency(emergency_id, reader, record_id, mask, pid))[0].raise_if_denied()
        else:
            decision, grant_id = view.ask(view.grant_for(reader, record_id, mask, pid))[0]
            decision.raise_if_denied()
        return typed_data(
            chain_id=self.c.chain.chain_id,
            verifying_contract=self.verifying_contract,
            reader=reader,
            custodian=self.store.body,
            record_id=record_id,
            fields=fields,
            purpose=pid,
            grant_id=grant_id,
            emergency_id=emergency_id,
            nonce=os.urandom(32),
            deadline=int(time.time()) + min(ttl, MAX_TTL),
        )

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
            raise NotAuthorized("the read request must be signed by the signed-in account, for itself", error="WrongSigner")
        if read.custodian != self.store.body:
            raise ReadRequestInvalid("the read request is for another body's node", reason="custodian")
        # 2. the chain allows it now: membership and the access rule at the head block, asked together
        stored = self.store.fetch(read.record_id)  # sealed: decrypted only once the read is allowed
        record = stored.record
        mask = self.store.mask(record.category, read.fields)

        def ask(view: BlockView) -> tuple[bytes, Decision, int, bool]:
            rule = (
                view.emergency(read.emergency_id, read.reader, read.record_id, mask, read.purpose)
                if read.emergency_id
                else view.access(read.reader, read.record_id, mask, read.purpose, read.grant_id)
            )
            (body, _roles), decision, seal, sealer = view.ask(
                view.member(read.reader),
                rule,
                view.seal_in_force(read.grant_id, read.emergency_id),
                view.sealer_of(read.reader),
            )
            return body, decision, seal if (read.grant_id or read.emergency_id) else 0, sealer

        view = at(self.questions)
        block = view.block
        reader_body, decision, seal_id, sealer = ask(view)
        if (
            sealer
            and not seal_id
            and (read.grant_id or read.emergency_id)
            and (latest := self.c.chain.block_number()) > block
        ):
            # a sealing body's read, at a head that may not yet hold the seal its officer placed a moment ago: asked
            # again at the chain's own head, so that a read made right after its seal is never shown to the resident
            block = latest
            reader_body, decision, seal_id, _ = ask(at(self.questions, latest))
        if reader_body == ZERO:
            raise NotAuthorized(f"{read.reader} is not a member of any body", error="NotMember")
        decision.raise_if_denied()
        # 3. decrypt and verify; the bundle is ready before the event, sent only after it
        content = self.store.open_stored(stored)
        bundle = build_bundle(content, read.fields, chain=self.c.chain)
        return OpenedRead(
            bundle,
            NewEvent(
                reader=read.reader,
                reader_body=hex32(bytes(reader_body)),
                record_id=record.record_id,
                version=content.version.version,
                subject_id=record.subject_id,
                category=record.category,
                fields=read.fields,
                purpose=code_name(read.purpose),
                grant_id=read.grant_id,
                emergency_id=read.emergency_id,
                seal_id=seal_id,
                block=block,
                request=read.typed["message"],
                signature=read.signature,
                request_digest=read.digest,
            ),
        )


ZERO = b"\0" * 32
