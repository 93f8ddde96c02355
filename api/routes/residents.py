"""Residents and their committees: enrol, move to another committee, link a resident's own wallet.

Each resident belongs to one residents' committee on-chain (``ResidentRegistry``), which alone acts
for them. These routes prepare the forward requests (sign and post to ``/tx/submit``); a call the
contract would refuse is refused here first, so nothing is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from eth_utils import to_checksum_address
from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import CurrentActor, CurrentMember, NodeDep
from api.schemas.tx import Prepared
from api.services.custody import require_own_resident
from api.services.transactions import prepare
from ledger.chain.access import ZERO
from ledger.chain.views import bodies_at
from ledger.errors import NotAuthorized, NotFound
from ledger.ids import CODE_PATTERN, BodyKind, Role, code_id, code_name, hex32, salted_hash

router = APIRouter(prefix="/residents", tags=["residents"])

NATIONAL_ID = Field(
    min_length=15,
    max_length=32,
    examples=["110105196001011234"],
    description="The resident's national ID: turned into the subject id, never stored",
)


class ResidentIn(BaseModel):
    account: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="The resident's own account")
    nationalId: str = NATIONAL_ID


class EnrolIn(BaseModel):
    nationalId: str = NATIONAL_ID


class TransferIn(BaseModel):
    nationalId: str = NATIONAL_ID
    to: str = Field(pattern=CODE_PATTERN, examples=["rc-west"], description="The residents' committee the resident moves to")


class MembershipOut(BaseModel):
    committee: str
    since: dt.datetime


class ResidentOut(BaseModel):
    subjectId: str
    committee: str | None = Field(description="The residents' committee the resident belongs to (none: not enrolled)")
    history: list[MembershipOut] = Field(description="Every committee the resident belonged to, oldest first")
    transferTo: str | None = Field(description="A move waiting for its second approval")


@router.post(
    "",
    response_model=Prepared,
    summary="Prepare: link a resident's own account to their subject id (officers and admins of the "
    "resident's own committee, at its node)",
    responses={403: {"description": "Not the resident's own residents' committee (NotResidentsCommittee)"}},
)
def bind_wallet(body: ResidentIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    subject = node.store.subject_of(body.nationalId)
    require_own_resident(node, subject, "link a resident's account", actor)
    account = to_checksum_address(body.account)
    return prepare(
        node,
        actor,
        node.contracts.residents.handle,
        "bindWallet",
        account,
        subject,
        summary=f"link {account} to a resident of {node.body}",
    )


@router.delete(
    "/{account}",
    response_model=Prepared,
    summary="Prepare: unlink a resident's account (the resident themselves, or officers and admins of "
    "their own committee, at its node)",
    responses={
        403: {"description": "Neither the account itself nor the resident's own committee"},
        404: {"description": "The account is not linked to a resident"},
    },
)
def unbind_wallet(
    account: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], actor: CurrentActor, node: NodeDep
) -> Prepared:
    account = to_checksum_address(account)
    subject = node.contracts.residents.resident_subject(account)
    if subject == ZERO:
        raise NotFound(f"{account} is not linked to a resident", error="NotBound")
    if actor.address != account:
        require_own_resident(node, subject, "unlink a resident's account", actor)
    return prepare(
        node, actor, node.contracts.residents.handle, "unbindWallet", account, summary=f"unlink {account} from its resident"
    )


@router.post(
    "/enrol",
    response_model=Prepared,
    summary="Prepare: enrol a resident in this residents' committee (its officers and admins)",
    description="A committee's first record of a resident enrols them too.",
    responses={409: {"description": "The resident belongs to a committee already"}},
)
def enrol(body: EnrolIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.OFFICER | Role.ADMIN, "enrol residents", body=node.body)
    return prepare(
        node,
        actor,
        node.contracts.residents.handle,
        "enrol",
        node.store.subject_of(body.nationalId),
        summary=f"enrol a resident in {node.body}",
    )


@router.post(
    "/transfer",
    response_model=Prepared,
    summary="Prepare: approve a resident's move to another committee (admins of either committee, or of the "
    "subdistrict office both belong to)",
    description="The move happens when both committees' admins approved it, or at once when the subdistrict "
    "office's admin does; the resident's history of committees is kept on-chain.",
    responses={403: {"description": "Not an admin of either committee or of their subdistrict office"}},
)
def transfer(body: TransferIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.ADMIN, "approve a resident's move", body=node.body)
    subject = node.store.subject_of(body.nationalId)
    return prepare(
        node,
        actor,
        node.contracts.residents.handle,
        "approveTransfer",
        subject,
        code_id(body.to),
        summary=f"approve a resident's move to {body.to}",
    )


@router.post(
    "/lookup",
    response_model=ResidentOut,
    summary="Which committee a resident belongs to, and since when (officers and admins of residents' "
    "committees and subdistrict offices)",
)
def lookup(body: EnrolIn, actor: CurrentMember, node: NodeDep) -> ResidentOut:
    actor.require(Role.OFFICER | Role.ADMIN, "look up residents' committees", body=node.body)
    if bodies_at(node.questions, [node.store.body])[0].kind not in (
        BodyKind.RESIDENTS_COMMITTEE,
        BodyKind.SUBDISTRICT_OFFICE,
    ):
        raise NotAuthorized(
            "residents' committees and subdistrict offices look up residents' committees", error="NotCommitteeNode"
        )
    r = node.contracts.residents
    subject = node.store.subject_of(body.nationalId)
    committee, pending = r.committee_of(subject), r.pending_transfer(subject)
    return ResidentOut(
        subjectId=hex32(subject),
        committee=code_name(committee) if committee != ZERO else None,
        history=[
            MembershipOut(committee=code_name(m.committee), since=dt.datetime.fromtimestamp(m.since, dt.UTC))
            for m in r.history_of(subject)
        ],
        transferTo=code_name(pending.to) if pending.to != ZERO else None,
    )


CHOICES = {"default": 0, "instant": 1, "digest": 2, "none": 3}


class NoticeChoiceIn(BaseModel):
    nationalId: str = Field(min_length=15, max_length=32, description="Turned into the subject id, never stored")
    category: str = Field(pattern=CODE_PATTERN, examples=["health"])
    choice: Literal["default", "instant", "digest", "none"] = Field(
        description="How they are told of reads of the category: as each node's settings say, each read at once, "
        "in a daily digest, or not at all"
    )
    evidence: str = Field(
        min_length=3, max_length=2000, description="How the resident said so (kept at this node; its salted hash on-chain)"
    )


@router.put(
    "/notices",
    response_model=Prepared,
    summary="Prepare: record how a resident wants to be told of reads of a category (officers and admins of their "
    "own committee, at its node, with the evidence of the resident's wish)",
    responses={403: {"description": "Not the resident's own residents' committee (NotResidentsCommittee)"}},
)
def notice_choice(body: NoticeChoiceIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    subject = node.store.subject_of(body.nationalId)
    require_own_resident(node, subject, "record how a resident is told", actor)
    node.store.schema(body.category)  # 422 for a category the consortium does not have
    evidence, salt = salted_hash(body.evidence)
    return prepare(
        node,
        actor,
        node.contracts.residents.handle,
        "setNoticeChoice",
        subject,
        code_id(body.category),
        CHOICES[body.choice],
        evidence,
        summary=f"tell a resident of {node.body} of reads of {body.category}: {body.choice}",
        salts={"evidence": salt},
        texts={"evidence": ("evidence", body.evidence)},
    )


class MyNoticeChoiceIn(BaseModel):
    category: str = Field(pattern=CODE_PATTERN, examples=["health"])
    choice: Literal["default", "instant", "digest", "none"] = Field(
        description="How I am told of reads of the category: as each node's settings say, each read at once, in a "
        "daily digest, or not at all"
    )


class MyNoticeChoiceOut(BaseModel):
    category: str
    choice: Literal["default", "instant", "digest", "none"]
    sensitive: bool = Field(description="This node tells of each read of it at once by default")


def _own_subject(actor: CurrentActor, node: NodeDep) -> bytes:
    subject = node.contracts.residents.resident_subject(actor.address)
    if subject == ZERO:
        raise NotAuthorized("this account is not linked to a resident; ask your committee to link it", error="NotResident")
    return bytes(subject)


@router.get(
    "/mine/notices",
    response_model=list[MyNoticeChoiceOut],
    summary="How I am told of reads of each category (a resident with their own account)",
    responses={403: {"description": "The account is not linked to a resident"}},
)
def my_notice_choices(actor: CurrentActor, node: NodeDep) -> list[MyNoticeChoiceOut]:
    subject = _own_subject(actor, node)
    names = {v: k for k, v in CHOICES.items()}
    return [
        MyNoticeChoiceOut(
            category=c,
            choice=names[node.contracts.residents.notice_choice(subject, code_id(c))],  # type: ignore[arg-type]
            sensitive=c in node.settings.notify_sensitive,
        )
        for c in (
            code_name(cid)
            for cid in node.contracts.records.categories(
                from_block=node.chain.manifest.deploy_block if node.chain.manifest else 0
            )
        )
    ]


@router.put(
    "/mine/notices",
    response_model=Prepared,
    summary="Prepare: choose how I am told of reads of a category, signed with my own key (a resident with their "
    "own account; no evidence needed)",
    responses={403: {"description": "The account is not linked to a resident"}},
)
def my_notice_choice(body: MyNoticeChoiceIn, actor: CurrentActor, node: NodeDep) -> Prepared:
    subject = _own_subject(actor, node)
    node.store.schema(body.category)  # 422 for a category the consortium does not have
    return prepare(
        node,
        actor,
        node.contracts.residents.handle,
        "setNoticeChoice",
        subject,
        code_id(body.category),
        CHOICES[body.choice],
        ZERO,
        summary=f"tell me of reads of {body.category}: {body.choice}",
    )
