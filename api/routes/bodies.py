"""Bodies: the member's own body, read from the chain, and (for its admins) its members."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from web3 import Web3

from api.deps import Actor, CurrentMember, NodeDep
from api.routes.tx import Prepared, prepare
from ledger.errors import NotAuthorized
from ledger.ids import Role, code_id

router = APIRouter(prefix="/bodies", tags=["bodies"])


class BodyOut(BaseModel):
    code: str
    kind: str
    active: bool
    emergencyCapable: bool
    myRoles: list[str]


@router.get("/mine", response_model=BodyOut, summary="The caller's body and roles (403 once removed on-chain)")
def my_body(actor: CurrentMember, node: NodeDep) -> BodyOut:
    assert actor.body is not None
    body = node.contracts.bodies.get_body(code_id(actor.body))
    return BodyOut(code=actor.body, kind=body.kind.name.lower(), active=body.active, emergencyCapable=body.emergency,
                   myRoles=[r.name.lower() for r in type(actor.roles) if r in actor.roles and r.name])


ROLE_NAMES = {"admin": Role.ADMIN, "officer": Role.OFFICER, "auditor": Role.AUDITOR, "emergency": Role.EMERGENCY,
              "node": Role.ANCHOR}


class MemberIn(BaseModel):
    account: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x976EA74026E726554dB657fA54763abd0C3a0aa9"])
    roles: list[Literal["admin", "officer", "auditor", "emergency", "node"]] = Field(min_length=1,
                                                                                     examples=[["officer"]])


def _require_admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise NotAuthorized(f"only an admin of {actor.body} manages its members", error="NotAdmin")


@router.post("/mine/members", response_model=Prepared, summary="Prepare: add a member to my body (admins)",
             responses={403: {"description": "Not an admin of this body"}})
def add_member(body: MemberIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    _require_admin(actor)
    account = Web3.to_checksum_address(body.account)
    roles = Role(0)
    for name in body.roles:
        roles |= ROLE_NAMES[name]
    return prepare(node, actor, node.contracts.bodies.handle, "addMember", account, int(roles),
                   summary=f"add {account} to {actor.body} as {', '.join(body.roles)}")


@router.delete("/mine/members/{account}", response_model=Prepared, summary="Prepare: remove a member (admins)",
               responses={403: {"description": "Not an admin of this body"}})
def remove_member(account: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], actor: CurrentMember,
                  node: NodeDep) -> Prepared:
    _require_admin(actor)
    account = Web3.to_checksum_address(account)
    return prepare(node, actor, node.contracts.bodies.handle, "removeMember", account,
                   summary=f"remove {account} from {actor.body}")
