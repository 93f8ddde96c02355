"""Bodies: the member's own body, read from the chain."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentMember, NodeDep
from ledger.ids import code_id

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
