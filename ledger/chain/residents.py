"""Typed wrapper of ``ResidentRegistry``: which committee a resident belongs to, moves, residents' wallets."""

from __future__ import annotations

from dataclasses import dataclass

from web3.types import TxReceipt

from ledger.chain.client import Actor, Chain, ContractHandle


@dataclass(frozen=True)
class Membership:
    committee: bytes
    since: int


@dataclass(frozen=True)
class Transfer:
    to: bytes
    from_approved: bool
    to_approved: bool


class ResidentRegistry:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.handle: ContractHandle = chain.contract("ResidentRegistry")

    # views
    def committee_of(self, subject: bytes, *, block: int | str = "latest") -> bytes:
        """The residents' committee ``subject`` belongs to (32 zero bytes when none)."""
        return bytes(self.handle.view("committeeOf", subject, block=block))

    def grid_of(self, subject: bytes) -> bytes:
        """The grid of their committee ``subject`` is placed in (32 zero bytes when none)."""
        return bytes(self.handle.view("gridOf", subject))

    def notice_choice(self, subject: bytes, category: bytes) -> int:
        """How ``subject`` is told of reads of ``category``: 0 default, 1 instant, 2 digest, 3 none."""
        return int(self.handle.view("noticeChoice", subject, category))

    def set_notice_choice(self, actor: Actor, subject: bytes, category: bytes, choice: int, evidence: bytes) -> TxReceipt:
        return actor.send(self.handle, "setNoticeChoice", subject, category, choice, evidence)

    def place_in_grid(self, actor: Actor, subject: bytes, grid: bytes) -> TxReceipt:
        return actor.send(self.handle, "placeInGrid", subject, grid)

    def history_of(self, subject: bytes) -> list[Membership]:
        return [Membership(bytes(c), int(t)) for c, t in self.handle.view("historyOf", subject)]

    def pending_transfer(self, subject: bytes) -> Transfer:
        to, a, b = self.handle.view("pendingTransfer", subject)
        return Transfer(bytes(to), bool(a), bool(b))

    def resident_subject(self, account: str) -> bytes:
        return bytes(self.handle.view("residentSubject", account))

    def acts_for(self, account: str, subject: bytes) -> bool:
        """Whether ``account`` is an officer or admin of ``subject``'s own committee."""
        return bool(self.handle.view("actsFor", account, subject))

    # actions
    def enrol(self, actor: Actor, subject: bytes) -> TxReceipt:
        return actor.send(self.handle, "enrol", subject)

    def approve_transfer(self, actor: Actor, subject: bytes, to: bytes) -> bool:
        """Approves a move of ``subject`` to committee ``to``; whether the resident moved now."""
        r = actor.send(self.handle, "approveTransfer", subject, to)
        return bool(self.handle.events(r, "ResidentTransferred"))

    def bind_wallet(self, actor: Actor, account: str, subject: bytes) -> TxReceipt:
        return actor.send(self.handle, "bindWallet", account, subject)

    def unbind_wallet(self, actor: Actor, account: str) -> TxReceipt:
        return actor.send(self.handle, "unbindWallet", account)
