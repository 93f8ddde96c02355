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
