"""Emergency ("break-glass") declarations and reviews."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from api.schemas.access import FieldList, KeptTextOut
from ledger.ids import CODE_PATTERN


class EmergencyIn(BaseModel):
    recordId: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    fields: FieldList = Field(examples=[["conditions", "medications"]])
    purpose: str = Field(
        pattern=CODE_PATTERN,
        examples=["emergency_response"],
        description="The purpose code every read under the declaration must carry",
    )
    reason: str = Field(
        min_length=3,
        max_length=2000,
        description="Mandatory; only its hash goes on-chain",
        examples=["resident unconscious, ambulance on site"],
    )


class ReviewIn(BaseModel):
    justified: bool
    outcome: str = Field(min_length=3, max_length=2000, description="The review's finding (hashed on-chain)")


class EmergencyOut(BaseModel):
    id: int
    reader: str
    readerBody: str
    readerName: str | None = Field(default=None, description="From the reader's body's directory")
    readerPost: str | None = Field(default=None, description="From the reader's body's directory")
    recordId: str
    custodian: str
    fields: list[str]
    purpose: str
    declaredAt: dt.datetime
    reviewed: bool
    justified: bool | None
    reasonHash: str
    reason: KeptTextOut | None = Field(
        default=None, description="The reason's text, for the custodian's admins, the reader and auditors"
    )
