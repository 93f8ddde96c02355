"""Typed wrapper of ``BodyRegistry``: bodies, members, roles and admission votes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from web3.types import TxReceipt

from ledger.chain.client import Actor, Chain, ContractHandle
from ledger.ids import BodyKind, Role


@dataclass(frozen=True)
class BodyProfile:
    kind: BodyKind
    parent: bytes = b"\0" * 32
    name_hash: bytes = b"\0" * 32
    emergency: bool = False
    encryption_key: bytes = b""
    endpoint: str = ""

    def as_tuple(self) -> tuple[object, ...]:
        return (int(self.kind), self.parent, self.name_hash, self.emergency, self.encryption_key, self.endpoint)


@dataclass(frozen=True)
class Body:
    id: bytes
    kind: BodyKind
    active: bool
    emergency: bool
    admin_count: int
    parent: bytes
    name_hash: bytes
    encryption_key: bytes
    endpoint: str

    @classmethod
    def from_view(cls, body: bytes, v: Sequence[Any]) -> Body:
        """From ``BodyRegistry.getBody``'s answer (ABI-decoded values)."""
        return cls(body, BodyKind(v[0]), bool(v[1]), bool(v[2]), int(v[3]), bytes(v[4]), bytes(v[5]), bytes(v[6]), str(v[7]))


@dataclass(frozen=True)
class Proposal:
    id: int
    kind: int  # 0 admit, 1 remove
    body: bytes
    proposer_body: bytes
    deadline: int
    votes: int
    required: int
    executed: bool


@dataclass(frozen=True)
class Assignment:
    """``IPosts.Assignment``: a member's post at their body, the grids it covers (none: the whole body)."""

    id: int
    member: str
    body: bytes
    post: bytes
    start: int
    until: int
    ended_at: int
    grids: tuple[bytes, ...]

    def in_force(self, now: int) -> bool:
        """In force at ``now`` as far as the assignment itself says (the member's body is not checked)."""
        return self.ended_at == 0 and self.start <= now < self.until


class BodyRegistry:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.handle: ContractHandle = chain.contract("BodyRegistry")

    # views
    def member_of(self, account: str) -> tuple[bytes, Role]:
        body, roles = self.handle.view("memberOf", account)
        return bytes(body), Role(roles)

    def has_roles(self, account: str, roles: Role) -> bool:
        return bool(self.handle.view("hasRoles", account, int(roles)))

    def founder(self) -> bytes:
        return bytes(self.handle.view("founder"))

    def get_body(self, body: bytes) -> Body:
        return Body.from_view(body, self.handle.view("getBody", body))

    def is_active(self, body: bytes) -> bool:
        return bool(self.handle.view("isActive", body))

    def active_body_count(self) -> int:
        return int(self.handle.view("activeBodyCount"))

    def required_votes(self) -> int:
        return int(self.handle.view("requiredVotes"))

    def proposal_count(self) -> int:
        return int(self.handle.view("proposalCount"))

    def get_proposal(self, proposal_id: int) -> Proposal:
        v = self.handle.view("getProposal", proposal_id)
        return Proposal(proposal_id, v[0], bytes(v[1]), bytes(v[2]), v[3], v[4], v[5], v[6])

    def has_voted(self, proposal_id: int, body: bytes) -> bool:
        return bool(self.handle.view("hasVoted", proposal_id, body))

    # actions
    def propose_admission(self, actor: Actor, body: bytes, profile: BodyProfile, admins: list[str], deadline: int) -> int:
        """Returns the proposal id; the body is admitted at once if the proposer's vote suffices."""
        r = actor.send(self.handle, "proposeAdmission", body, profile.as_tuple(), admins, deadline)
        return int(self.handle.one_event(r, "BodyProposed")["proposalId"])

    def propose_removal(self, actor: Actor, body: bytes, deadline: int) -> int:
        r = actor.send(self.handle, "proposeRemoval", body, deadline)
        return int(self.handle.one_event(r, "BodyProposed")["proposalId"])

    def vote(self, actor: Actor, proposal_id: int) -> TxReceipt:
        return actor.send(self.handle, "vote", proposal_id)

    def add_member(self, actor: Actor, account: str, roles: Role) -> TxReceipt:
        return actor.send(self.handle, "addMember", account, int(roles))

    def set_roles(self, actor: Actor, account: str, roles: Role) -> bool:
        r = actor.send(self.handle, "setRoles", account, int(roles))
        return bool(self.handle.events(r, "MemberRolesChanged"))

    def remove_member(self, actor: Actor, account: str) -> TxReceipt:
        return actor.send(self.handle, "removeMember", account)

    def update_profile(self, actor: Actor, encryption_key: bytes, endpoint: str) -> TxReceipt:
        return actor.send(self.handle, "updateProfile", encryption_key, endpoint)

    # grids and posts (``Posts``)
    def is_post(self, post: bytes) -> bool:
        return bool(self.handle.view("isPost", post))

    def posts(self, *, from_block: int = 0) -> list[bytes]:
        """The consortium's post codes, in the order they were defined."""
        return [bytes(e["post"]) for e in self.handle.logs("PostDefined", from_block=from_block)]

    def grids_of(self, body: bytes) -> list[tuple[bytes, str]]:
        """The grids ``body`` published: (code, name), in order."""
        return [(bytes(g), str(self.handle.view("gridName", body, g))) for g in self.handle.view("gridsOf", body)]

    def grid_name(self, body: bytes, grid: bytes) -> str:
        return str(self.handle.view("gridName", body, grid))

    def assignment_of(self, member: str) -> int:
        return int(self.handle.view("assignmentOf", member))

    def assignment_count(self) -> int:
        return int(self.handle.view("assignmentCount"))

    def get_assignment(self, assignment_id: int) -> Assignment:
        v = self.handle.view("getAssignment", assignment_id)
        return Assignment(
            assignment_id, v[0], bytes(v[1]), bytes(v[2]), int(v[3]), int(v[4]), int(v[5]), tuple(bytes(g) for g in v[6])
        )

    def assignment_in_force(self, assignment_id: int, *, block: int | str = "latest") -> bool:
        return bool(self.handle.view("assignmentInForce", assignment_id, block=block))

    def holds_post(self, member: str, body: bytes, post: bytes) -> bool:
        return bool(self.handle.view("holdsPost", member, body, post))

    def covers_grid(self, reader: str, grid: bytes) -> bool:
        return bool(self.handle.view("coversGrid", reader, grid))

    def define_post(self, actor: Actor, post: bytes) -> TxReceipt:
        return actor.send(self.handle, "definePost", post)

    def define_grid(self, actor: Actor, grid: bytes, name: str) -> TxReceipt:
        return actor.send(self.handle, "defineGrid", grid, name)

    def assign_post(self, actor: Actor, member: str, post: bytes, grids: Sequence[bytes], start: int, until: int) -> int:
        """Returns the new assignment's id; the member's former assignment ends."""
        r = actor.send(self.handle, "assignPost", member, post, list(grids), start, until)
        return int(self.handle.one_event(r, "PostAssigned")["assignmentId"])

    def end_assignment(self, actor: Actor, assignment_id: int) -> TxReceipt:
        return actor.send(self.handle, "endAssignment", assignment_id)
