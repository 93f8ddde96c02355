"""A body's records as the API shows them: metadata only, never a field's value."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.tx import Prepared

CODE = r"^[a-z0-9][a-z0-9_.-]{0,30}$"
EXAMPLE_FIELDS = {
    "head_of_household": "Zhang Wei",
    "address": "East Gate Lane 3, unit 12",
    "members": 3,
    "phone": None,
    "housing_type": "rented",
    "income_band": "low",
}


class RecordIn(BaseModel):
    category: str = Field(pattern=CODE, examples=["household"])
    nationalId: str = Field(
        min_length=15,
        max_length=32,
        examples=["110105196001011234"],
        description="The resident's national ID: turned into the subject id, never stored",
    )
    fields: dict[str, Any] = Field(
        description="Every field of the category; null for a value not known", examples=[EXAMPLE_FIELDS]
    )


class VersionIn(BaseModel):
    fields: dict[str, Any] = Field(examples=[EXAMPLE_FIELDS])


class SearchIn(BaseModel):
    nationalId: str = Field(min_length=15, max_length=32, examples=["110105196001011234"])
    category: str | None = Field(default=None, pattern=CODE, examples=["household"])


class RecordOut(BaseModel):
    recordId: str
    subjectId: str
    custodian: str = Field(description="The body that keeps the record (at its node)", examples=["rc-east"])
    category: str
    version: int
    status: str = Field(examples=["active"])
    anchorState: str = Field(description="Of the latest change: pending, anchored or failed", examples=["anchored"])
    createdAt: dt.datetime
    updatedAt: dt.datetime


class VersionOut(BaseModel):
    version: int
    commitment: str
    anchorState: str
    anchorTx: str | None
    anchorBlock: int | None
    createdAt: dt.datetime


class StagedOut(Prepared):
    """Like every action's answer (typed data to sign and post to /tx/submit, with a summary), plus the
    stored change it anchors."""

    record: RecordOut
