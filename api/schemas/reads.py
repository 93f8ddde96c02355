"""Reads: the signed read request, the disclosure and the node's receipt."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.access import FieldList
from api.schemas.common import DisclosureBundle
from ledger.crypto.eip712 import TypedData


class ReadPrepareIn(BaseModel):
    recordId: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    fields: FieldList = Field(examples=[["address", "income_band"]])
    purpose: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,30}$", examples=["subsistence_review"])
    emergencyId: int = Field(
        default=0, ge=0, le=2**63 - 1, description="An emergency declaration of mine, for a break-glass read"
    )


class ReadPrepared(BaseModel):
    """EIP-712 typed data of a ``ReadRequest``: sign it (``eth_signTypedData_v4``) and post it to /reads."""

    typedData: TypedData


class ReadIn(BaseModel):
    typedData: dict[str, Any]
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class Receipt(BaseModel):
    """The node's signed promise: EIP-712 ``AccessReceipt(custodian, seq, eventHash, anchorBy)`` in the domain
    ``CivicLedgerTrail`` v1 of the AccessTrail contract, signed by the body's anchor account."""

    custodian: str = Field(description="The custodian body's id (bytes32), as signed")
    custodianCode: str = Field(description="The same body by its code, e.g. rc-east (not signed: read from custodian)")
    seq: int = Field(description="The access event's sequence number at this node")
    eventHash: str
    at: dt.datetime
    anchorBy: int = Field(description="Unix time by which the event will be anchored on-chain")
    signature: str = Field(description="The node's EIP-712 signature of the receipt")
    signer: str = Field(description="The node's anchor account")


class ReadOut(BaseModel):
    bundle: DisclosureBundle = Field(
        description="Selective disclosure: the granted fields with salts and proofs; "
        "verify with `ledger records verify` or against RecordRegistry"
    )
    receipt: Receipt


class NodeReadPrepareIn(ReadPrepareIn):
    reader: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="The member of the calling body who will sign")
