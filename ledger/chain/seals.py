"""Typed wrapper of ``Seals``: covert reads hidden from the resident for a bounded time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from web3.types import TxReceipt

from ledger.chain.client import Actor, Chain, ContractHandle

#: The longest a seal runs from its placing, or an extension past the end it extends (90 days).
MAX_SPAN = 90 * 86_400


class Target(IntEnum):
    """What a seal covers: the reads under one grant, or one emergency declaration and its reads."""

    GRANT = 1
    EMERGENCY = 2


@dataclass(frozen=True)
class Seal:
    id: int
    target: Target
    placed_at: int
    until: int
    released_at: int
    extensions: int
    body: bytes
    target_id: int
    case_hash: bytes

    @classmethod
    def from_view(cls, seal_id: int, v: Sequence[Any]) -> Seal:
        return cls(seal_id, Target(v[0]), int(v[1]), int(v[2]), int(v[3]), int(v[4]), bytes(v[5]), int(v[6]), bytes(v[7]))

    def in_force(self, now: int) -> bool:
        """Whether it hides its reads at chain time ``now``, as the contract's ``inForce`` decides."""
        return self.released_at == 0 and now < self.until

    def ended_at(self) -> int:
        """When it ended or will end: its release, or its end date."""
        return self.released_at or self.until


class Seals:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.handle: ContractHandle = chain.contract("Seals")

    # views
    def is_sealer(self, body: bytes) -> bool:
        return bool(self.handle.view("isSealer", body))

    def get(self, seal_id: int, *, block: int | str = "latest") -> Seal:
        return Seal.from_view(seal_id, self.handle.view("getSeal", seal_id, block=block))

    def seal_of(self, target: Target, target_id: int, *, block: int | str = "latest") -> int:
        """The seal placed over the target (0: none) as of ``block``."""
        return int(self.handle.view("sealOf", int(target), target_id, block=block))

    def count(self) -> int:
        return int(self.handle.view("sealCount"))

    def all(self) -> list[Seal]:
        return [self.get(i) for i in range(1, self.count() + 1)]

    # actions
    def set_sealer(self, actor: Actor, body: bytes, allowed: bool) -> TxReceipt:
        return actor.send(self.handle, "setSealer", body, allowed)

    def seal(self, actor: Actor, target: Target, target_id: int, case_hash: bytes, until: int) -> int:
        receipt = actor.send(self.handle, "seal", int(target), target_id, case_hash, until)
        return int(self.handle.one_event(receipt, "Sealed")["sealId"])

    def extend(self, actor: Actor, seal_id: int, until: int, reason_hash: bytes) -> TxReceipt:
        return actor.send(self.handle, "extend", seal_id, until, reason_hash)

    def release(self, actor: Actor, seal_id: int) -> TxReceipt:
        return actor.send(self.handle, "release", seal_id)
