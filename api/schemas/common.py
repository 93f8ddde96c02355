"""Response models shared by several routes: the signed and hashed formats a client verifies on its
own (disclosure bundles, trail bundles, one event's verification material) and the error answer.
docs/FORMATS.md specifies each format with a worked example."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

HEX32 = r"^0x[0-9a-f]{64}$"


# ------------------------------------------------------------------- disclosure


class AnchorTx(BaseModel):
    transactionHash: str | None = Field(description="The transaction that registered this version's commitment")
    blockNumber: int | None


class DisclosedField(BaseModel):
    name: str
    value: Any = Field(description="The field's value, as JSON")
    salt: str = Field(description="The field's 32-byte salt (0x hex)")
    proof: list[str] = Field(
        description="StandardMerkleTree proof of the leaf (bytes32 salt, string name, "
        "bytes32 keccak256(RFC 8785 value)) into the commitment"
    )


class DisclosureBundle(BaseModel):
    """``civic-ledger/disclosure@1``: some fields of a record version, verifiable against RecordRegistry alone."""

    schema_: Literal["civic-ledger/disclosure@1"] = Field(alias="schema")
    chainId: int
    recordRegistry: str
    recordId: str
    version: int
    commitment: str = Field(description="The version's Merkle root, as RecordRegistry.commitmentOf gives it")
    anchor: AnchorTx
    fields: list[DisclosedField]

    model_config = {"populate_by_name": True}


# ------------------------------------------------------------------------ trail


class ReadRequestMessage(BaseModel):
    """The EIP-712 ``ReadRequest`` the reader signed (domain CivicLedgerRead v1, the AccessTrail contract)."""

    reader: str
    custodian: str
    recordId: str
    fields: list[str]
    purpose: str = Field(description="bytes32 of the purpose code")
    grantId: int
    emergencyId: int
    nonce: str
    deadline: int


class BundledEvent(BaseModel):
    """An access event as bundles carry it: the content its hash covers, the signed request, the hash and,
    once anchored, the inclusion proof (null before)."""

    body: str
    seq: int
    reader: str
    readerBody: str
    recordId: str
    version: int
    subjectId: str
    category: str
    fields: list[str]
    purpose: str
    grantId: int
    emergencyId: int
    subjectPrev: int
    block: int
    at: str = Field(description="ISO 8601 with microseconds and +00:00, exactly as hashed")
    requestDigest: str
    signature: str
    sealId: int | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="Only on a read made under a seal (Seals), shown once the seal ended: its hash covers it, and its "
        "subjectPrev links the subject's events under that seal (absent on every other read)",
    )
    request: ReadRequestMessage
    eventHash: str = Field(description="keccak256 of the RFC 8785 JSON of the fields above (request excluded)")
    proof: list[str] | None = Field(
        default=None,
        description="Proof of the leaf (uint64 seq, bytes32 eventHash) "
        "into its batch's root; [] for an event anchored alone; "
        "null until anchored",
    )


class AnchorJson(BaseModel):
    firstSeq: int
    lastSeq: int
    root: str
    kind: Literal["batch", "event"]
    transactionHash: str | None
    blockNumber: int | None


class TrailHeadMessage(BaseModel):
    custodian: str
    subject: str
    lastSeq: int
    count: int
    issuedAt: int


class SignedHead(BaseModel):
    """EIP-712 ``TrailHead`` (domain CivicLedgerTrail v1) signed by an account with the body's anchor role."""

    message: TrailHeadMessage
    signature: str


class TrailContracts(BaseModel):
    AccessTrail: str
    BodyRegistry: str


class TrailBundle(BaseModel):
    """``civic-ledger/trail@1``: a resident's events at one body, checked by ``ledger verify trail``."""

    schema_: Literal["civic-ledger/trail@1"] = Field(alias="schema")
    chainId: int
    contracts: TrailContracts
    custodian: str
    subject: str
    head: SignedHead
    events: list[BundledEvent]
    anchors: list[AnchorJson]

    model_config = {"populate_by_name": True}


class EventMaterial(BaseModel):
    """``civic-ledger/trail-event@1``: one event with what verifies it alone."""

    schema_: Literal["civic-ledger/trail-event@1"] = Field(alias="schema")
    chainId: int
    contracts: TrailContracts
    custodian: str
    subject: str
    head: SignedHead
    event: BundledEvent
    anchor: AnchorJson | None

    model_config = {"populate_by_name": True}


# ----------------------------------------------------------------------- errors

#: The stable codes of refused reads: each access decision is its own code (and ``decision``).
DECISIONS = (
    "not_member",
    "unknown_record",
    "record_erased",
    "no_grant",
    "wrong_grant",
    "purpose_mismatch",
    "fields_not_covered",
    "grant_revoked",
    "grant_expired",
    "consent_missing",
    "consent_refused",
    "emergency_not_covered",
    "emergency_unjustified",
    "post_ended",
    "outside_grid",
)


class FieldProblem(BaseModel):
    in_: Literal["body", "query", "path", "header", "cookie"] = Field(alias="in", description="Where in the request")
    field: str = Field(description="Its name there, dotted for nested items", examples=["fields.0"])
    name: str = Field(description="Its name in words", examples=["query parameter view"])
    problem: str = Field(examples=["String should match pattern '^0x[0-9a-fA-F]{64}$'"])


class ErrorOut(BaseModel):
    """Every error: a stable machine-readable ``code`` and a human ``message``."""

    code: str = Field(
        description="Stable code: not_authenticated, sign_in_failed, not_authorized, not_found, "
        "record_not_found, conflict, invalid_request, invalid_input, unknown_purpose, "
        "unknown_category, unknown_post, unknown_grid, invalid_national_id, read_request_invalid, "
        "forward_request_invalid, record_erased, payload_too_large, headers_too_large, "
        "rate_limited, not_a_committee, chain_unavailable, store, …; for a refused read, "
        "its decision: " + ", ".join(DECISIONS),
        examples=["grant_revoked"],
    )
    message: str = Field(examples=["access refused: the custodian revoked the grant"])
    error: str | None = Field(
        default=None,
        description="The contract's custom error, when the chain refused, or the "
        "node's own reason (e.g. NotResidentsCommittee: only a "
        "resident's own committee acts for them)",
        examples=["AccessRegistryUnknownPurpose"],
    )
    decision: Literal[DECISIONS] | None = Field(  # type: ignore[valid-type]
        default=None,
        description="Why a read was refused (the same as code)",
    )
    reason: str | None = Field(default=None, description="Which check failed, for errors that name one")
    fields: list[FieldProblem] | None = Field(default=None, description="invalid_request: each invalid input")


ERRORS = {
    401: "Not signed in, or the token has expired",
    403: "Not allowed (a role, a grant or a body is missing)",
    404: "No such resource here (in the path, or an id the request names)",
    410: "The record was erased",
    409: "Conflicts with the current state (done already, replayed)",
    413: "The request body is too large",
    422: "Invalid input (what is wrong is said in the message)",
    429: "Too many attempts; see Retry-After",
    500: "An integrity failure the node will not hide",
    503: "The chain or the database is unavailable; try again",
}


def declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the error answers to every operation of an OpenAPI schema, with the error model."""
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ErrorOut.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            statuses = [422, 500, 503]
            if op.get("security"):
                statuses += [401, 403]
            if "{" in path or "requestBody" in op or op.get("parameters"):
                statuses.append(404)  # an id in the path, the body or the query that names nothing here
            if "requestBody" in op:
                statuses.append(413)
            if "requestBody" in op or method in ("post", "put", "delete"):
                statuses.append(409)  # done already, replayed, or no longer possible
            if path.startswith(("/records", "/reads", "/requests", "/residents", "/trail/codes")):
                statuses.append(410)
            if path.startswith(("/trail/by-code", "/auth/")):
                statuses += [401, 429]
            for status in sorted(set(statuses)):
                entry = op["responses"].setdefault(str(status), {"description": ERRORS[status]})
                entry.setdefault("content", ref["content"])
    return schema
