"""Prepare → sign → submit: what a prepared chain action and its relay look like."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ledger.crypto.eip712 import TypedData


class Prepared(BaseModel):
    """EIP-712 typed data to sign (``eth_signTypedData_v4``), then to post to ``/tx/submit``."""

    typedData: TypedData
    summary: str = Field(examples=["add 0x976E…0aa9 to rc-east as officer"])
    salts: dict[str, str] = Field(
        default_factory=dict,
        description="For each free text hashed on-chain "
        "(justification, reason, evidence, outcome): the salt of its hash, "
        "keccak256(salt ‖ text). Keep it with the text to prove the text later.",
    )


class SubmitIn(BaseModel):
    typedData: dict[str, Any]
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class EventOut(BaseModel):
    event: str = Field(examples=["GrantCreated"])
    args: dict[str, Any] = Field(
        description="bytes as 0x hex, numbers as integers", examples=[{"grantId": 3, "expiresAt": 1798000000}]
    )


class SubmitOut(BaseModel):
    transactionHash: str
    blockNumber: int
    events: list[str] = Field(examples=[["MemberAdded"]])
    logs: list[EventOut] = Field(default_factory=list, description="The events with their arguments")
