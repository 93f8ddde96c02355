"""Grids and posts: committees publish their grids, admins assign members to posts, officers see their own.

What a member reads follows the post they hold (``Posts.sol``): in a residents' committee with grids, an
own-body read covers only residents of the grids the reader's post covers (a post over the whole body
covers all); a grant asked for a post is read by whoever holds it; a grant asked by a person stops when
the assignment they held then ends. These routes prepare the forward requests (sign and post to
``/tx/submit``); a call the contract would refuse is refused here first.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from eth_utils import to_checksum_address
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import CurrentMember, NodeDep
from api.schemas.tx import Prepared
from api.services.custody import require_own_resident
from api.services.posts import AssignmentOut, assignment_out, assignments_of
from api.services.transactions import prepare
from ledger.errors import InvalidInput, NotFound
from ledger.ids import CODE_PATTERN, Role, code_id, code_name

router = APIRouter(tags=["posts"])


class CodeIn(BaseModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["subsistence_caseworker"])


class GridIn(BaseModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["grid-1"])
    name: str = Field(
        min_length=1,
        max_length=64,
        description="A place, never a person: it is public on-chain",
        examples=["Grid 1 (north lanes)"],
    )


class GridOut(BaseModel):
    code: str
    name: str


class AssignIn(BaseModel):
    member: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="A member of my body")
    post: str = Field(pattern=CODE_PATTERN, examples=["grid_worker"], description="One of GET /posts")
    grids: list[Annotated[str, Field(pattern=CODE_PATTERN)]] = Field(
        default=[], max_length=32, description="Grids of my body it covers; none: the whole body", examples=[["grid-1"]]
    )
    start: dt.datetime | None = Field(default=None, alias="from", description="Default: now")
    until: dt.datetime = Field(description="When it ends by itself")


class PlaceIn(BaseModel):
    nationalId: str = Field(min_length=15, max_length=32, description="Turned into the subject id, never stored")
    grid: str | None = Field(pattern=CODE_PATTERN, description="A grid of my committee; null: in no grid")


@router.get("/posts", response_model=list[str], summary="The consortium's post codes")
def list_posts(_: CurrentMember, node: NodeDep) -> list[str]:
    return [code_name(p) for p in node.contracts.bodies.posts()]


@router.post(
    "/posts",
    response_model=Prepared,
    summary="Prepare: add a post code to the consortium's list (admins of the founding body)",
    responses={403: {"description": "Not an admin of the founding body"}, 409: {"description": "The code exists"}},
)
def define_post(body: CodeIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.ADMIN, "define post codes", body=code_name(node.contracts.bodies.founder()))
    b = node.contracts.bodies
    return prepare(node, actor, b.handle, "definePost", code_id(body.code), summary=f"add the post {body.code}")


@router.get("/grids", response_model=list[GridOut], summary="A body's grids (default: mine), in the order published")
def list_grids(
    actor: CurrentMember, node: NodeDep, body: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None
) -> list[GridOut]:
    of = body or actor.body
    assert of is not None
    return [GridOut(code=code_name(g), name=n) for g, n in node.contracts.bodies.grids_of(code_id(of))]


@router.post(
    "/grids",
    response_model=Prepared,
    summary="Prepare: publish a grid of my residents' committee (admins)",
    description="Once a committee has a grid, its members read its residents only under a post covering "
    "their grid (or the whole committee).",
    responses={403: {"description": "Not an admin of a residents' committee"}, 409: {"description": "The grid exists"}},
)
def define_grid(body: GridIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.ADMIN, "publish grids")
    b = node.contracts.bodies
    return prepare(
        node, actor, b.handle, "defineGrid", code_id(body.code), body.name, summary=f"publish grid {body.code}: {body.name}"
    )


@router.get(
    "/assignments",
    response_model=list[AssignmentOut],
    summary="My body's post assignments, newest first (its admins and officers)",
)
def list_assignments(
    actor: CurrentMember, node: NodeDep, current: Annotated[bool, Query(description="Only those in force")] = False
) -> list[AssignmentOut]:
    actor.require(Role.ADMIN | Role.OFFICER, "see its posts")
    assert actor.body is not None
    found = assignments_of(node, code_id(actor.body))
    return [a for a in found if a.inForce] if current else found


@router.get(
    "/assignments/mine",
    response_model=AssignmentOut | None,
    summary="The post I hold and what it covers (null: none)",
)
def my_assignment(actor: CurrentMember, node: NodeDep) -> AssignmentOut | None:
    b = node.contracts.bodies
    current = b.assignment_of(actor.address)
    return assignment_out(node, b.get_assignment(current)) if current else None


@router.post(
    "/assignments",
    response_model=Prepared,
    summary="Prepare: assign a member of my body to a post (admins); their former post ends",
    description="Every grant the member asked for under the former post stops at its next read.",
    responses={403: {"description": "Not an admin of the member's body"}, 404: {"description": "Unknown post or grid"}},
)
def assign(body: AssignIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.ADMIN, "assign posts")
    start = int((body.start or dt.datetime.now(dt.UTC)).timestamp()) - (0 if body.start else 60)
    until = int(body.until.timestamp())
    if until <= max(start, int(time.time())):
        raise InvalidInput("an assignment runs until a time after its start, in the future", error="InvalidPeriod")
    member = to_checksum_address(body.member)
    where = ", ".join(body.grids) or "the whole body"
    return prepare(
        node,
        actor,
        node.contracts.bodies.handle,
        "assignPost",
        member,
        code_id(body.post),
        [code_id(g) for g in body.grids],
        max(start, 0),
        until,
        summary=f"assign {member} to {body.post} ({where}) until {body.until:%Y-%m-%d}",
    )


@router.delete(
    "/assignments/{assignment_id}",
    response_model=Prepared,
    summary="Prepare: end an assignment now (admins of its body); every grant bound to it stops",
    responses={404: {"description": "No such assignment"}, 409: {"description": "It has ended already"}},
)
def end_assignment(assignment_id: Annotated[int, Path(ge=1, le=2**63)], actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.ADMIN, "end assignments")
    b = node.contracts.bodies
    if assignment_id > b.assignment_count():
        raise NotFound(f"there is no assignment {assignment_id}", error="UnknownAssignment")
    return prepare(node, actor, b.handle, "endAssignment", assignment_id, summary=f"end assignment {assignment_id}")


@router.put(
    "/residents/grid",
    response_model=Prepared,
    summary="Prepare: place a resident in a grid of their own committee (its admins, at its node)",
    responses={403: {"description": "Not an admin of the resident's own committee"}},
)
def place(body: PlaceIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    subject = node.store.subject_of(body.nationalId)
    require_own_resident(node, subject, "place a resident in a grid", actor)
    actor.require(Role.ADMIN, "place residents in grids", body=node.body)
    grid = code_id(body.grid) if body.grid else b"\0" * 32
    return prepare(
        node,
        actor,
        node.contracts.residents.handle,
        "placeInGrid",
        subject,
        grid,
        summary=f"place a resident of {node.body} in {body.grid or 'no grid'}",
    )
