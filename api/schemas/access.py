"""Access requests, standing agreements, grants, consent and kept texts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field, model_validator

from ledger.ids import CODE_PATTERN

ID = Path(ge=1, le=2**63)


FieldList = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=64)]


class RequestIn(BaseModel):
    scope: Literal["record", "subject_category"] = Field(examples=["record"])
    recordId: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{64}$", description="For scope record")
    nationalId: str | None = Field(
        default=None, min_length=15, max_length=32, description="For scope subject_category: the resident (never stored)"
    )
    category: str | None = Field(default=None, pattern=CODE_PATTERN, description="For scope subject_category")
    custodian: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        description="For scope subject_category: the body whose records are asked for "
        "(default: this node's); another body's is asked at its node",
    )
    fields: FieldList = Field(examples=[["address", "income_band"]])
    purpose: str = Field(pattern=CODE_PATTERN, examples=["subsistence_review"])
    justification: str = Field(
        min_length=3,
        max_length=2000,
        examples=["annual subsistence allowance review"],
        description="Kept off-chain; only its keccak256 goes on-chain",
    )
    post: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        examples=["subsistence_caseworker"],
        description="Ask for whoever holds this post at my body (GET /posts), not for me: the grant is read by "
        "the post's holder at the time. Without it the grant is mine, and stops when the post I hold now ends",
    )

    @model_validator(mode="after")
    def _scope(self) -> RequestIn:
        if self.scope == "record" and (self.recordId is None or self.nationalId or self.category or self.custodian):
            raise ValueError("scope record takes recordId only")
        if self.scope == "subject_category" and (self.recordId or not self.nationalId or not self.category):
            raise ValueError("scope subject_category takes nationalId and category")
        return self


class AgreementIn(BaseModel):
    custodian: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        description="The body asked (default: this node's); another body is asked at its node",
    )
    category: str = Field(pattern=CODE_PATTERN, examples=["household"])
    fields: FieldList = Field(examples=[["address", "members", "income_band"]])
    purpose: str = Field(pattern=CODE_PATTERN, examples=["subsistence_review"])
    justification: str = Field(min_length=3, max_length=2000)


class ApproveIn(BaseModel):
    expiresAt: dt.datetime | None = Field(default=None, description="When the grant ends")
    days: int | None = Field(default=None, ge=1, le=3660, description="Or: how many days from now", examples=[30])

    @model_validator(mode="after")
    def _one(self) -> ApproveIn:
        if (self.expiresAt is None) == (self.days is None):
            raise ValueError("give expiresAt or days")
        if self.expiresAt is not None:
            if self.expiresAt.tzinfo is None:
                raise ValueError("expiresAt needs a time zone (e.g. 2027-01-31T00:00:00Z)")
            if not dt.datetime(2000, 1, 1, tzinfo=dt.UTC) < self.expiresAt < dt.datetime(2200, 1, 1, tzinfo=dt.UTC):
                raise ValueError("expiresAt must be a date between 2000 and 2200")
        return self


class DenyIn(BaseModel):
    reason: str = Field(min_length=3, max_length=2000, description="Kept off-chain; only its hash goes on-chain")


class ConsentIn(BaseModel):
    grantId: int = Field(ge=1, le=2**63 - 1)
    given: bool
    nationalId: str | None = Field(
        default=None, min_length=15, max_length=32, description="Committee members recording consent: the resident"
    )
    evidence: str | None = Field(
        default=None,
        min_length=3,
        max_length=2000,
        description="Committee members: what the consent rests on (hashed on-chain)",
    )


class Covered(BaseModel):
    """What a request asks for, or a grant gives: whose records, which fields, for what."""

    id: int
    scope: str
    custodian: str
    recordId: str | None
    subjectId: str | None
    category: str
    fields: list[str]
    purpose: str


class KeptTextOut(BaseModel):
    """A free text whose salted hash is on-chain, kept encrypted at the custodian's node: check it with
    keccak256(salt ‖ UTF-8 text) == the on-chain hash."""

    text: str
    salt: str
    matches: bool = Field(description="The node's own check that the text hashes to the on-chain value")


class RequestOut(Covered):
    status: str
    requester: str
    requesterBody: str
    requesterName: str | None = Field(default=None, description="From the requester's body's directory, if it names them")
    requesterPost: str | None = Field(default=None, description="From the requester's body's directory")
    justificationHash: str
    justification: KeptTextOut | None = Field(
        default=None,
        description="The justification's text, for the custodian's admins, the requester and "
        "auditors; null for others, or where this node does not hold it",
    )
    grantId: int | None
    post: str | None = Field(default=None, description="Asked for whoever holds this post at the requester's body")
    assignment: int | None = Field(
        default=None, description="The requester's post assignment when they asked: the grant stops when it ends"
    )


class GrantOut(Covered):
    revoked: bool
    expiresAt: dt.datetime
    active: bool = Field(
        description="Not revoked, not expired and, when bound to a post assignment, that still in force (chain's clock)"
    )
    grantee: str | None = Field(
        description="null for a standing agreement (every officer of the grantee body) or a post's grant (its holder)"
    )
    post: str | None = Field(default=None, description="A post's grant: read by whoever holds the post at the time")
    assignment: int | None = Field(
        default=None, description="The grantee's post assignment it is bound to: it stops when that ends"
    )
    granteeBody: str
    granteeName: str | None = Field(default=None, description="From the grantee's body's directory")
    granteePost: str | None = Field(default=None, description="From the grantee's body's directory")
    requestId: int
    consentRequired: bool
    consent: str | None = Field(description="none, given or refused, for the grant's subject; null for agreements")
