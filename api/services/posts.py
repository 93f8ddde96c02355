"""Post assignments as the chain holds them, with the member's name from this node's directory."""

from __future__ import annotations

import datetime as dt

from eth_utils import to_checksum_address
from pydantic import BaseModel, Field

from api.deps import Node
from ledger.chain.bodies import Assignment
from ledger.ids import code_name


class AssignmentOut(BaseModel):
    id: int
    member: str
    name: str | None = Field(description="From this node's members' directory (shown only to its body)")
    body: str
    post: str
    grids: list[str] = Field(description="Grids it covers; empty: the whole body")
    start: dt.datetime = Field(alias="from")
    until: dt.datetime
    endedAt: dt.datetime | None = Field(description="When an admin ended it, or the member moved or left")
    inForce: bool

    model_config = {"populate_by_name": True}


def _at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def assignment_out(node: Node, a: Assignment, name: str | None = None) -> AssignmentOut:
    """``name`` None: looked up in this node's directory; "" for none."""
    member = to_checksum_address(a.member)
    if name is None:
        who = node.directory.people([member]).get(member)
        name = who.name if who else None
    return AssignmentOut(
        id=a.id,
        member=member,
        name=name or None,
        body=code_name(a.body),
        post=code_name(a.post),
        grids=[code_name(g) for g in a.grids],
        start=_at(a.start),
        until=_at(a.until),
        endedAt=_at(a.ended_at) if a.ended_at else None,
        inForce=node.contracts.bodies.assignment_in_force(a.id),
    )


def assignments_of(node: Node, body: bytes) -> list[AssignmentOut]:
    """Every assignment at ``body``, newest first, as the chain holds each now."""
    b = node.contracts.bodies
    start = node.contracts.chain.manifest.deploy_block if node.contracts.chain.manifest else 0
    ids = sorted({int(log["assignmentId"]) for log in b.handle.logs("PostAssigned", from_block=start, body=body)})
    found = [b.get_assignment(i) for i in reversed(ids)]
    people = node.directory.people(a.member for a in found)
    out = []
    for a in found:
        who = people.get(to_checksum_address(a.member))
        out.append(assignment_out(node, a, who.name if who else ""))
    return out
