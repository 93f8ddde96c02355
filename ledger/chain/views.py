"""Typed questions to the contracts at one block: what the node, the reads and the audit ask, by name.

``at(questions, block)`` pins a block (the followed head by default); each method answers one typed
question, and :meth:`BlockView.ask` answers several together, in one JSON-RPC batch (or from that
block's answers already given, :mod:`ledger.chain.head`)::

    view = at(node.questions)
    (body, roles), decision = view.ask(view.member(reader), view.access(reader, record, mask, purpose, grant))

Nothing outside :mod:`ledger.chain` names a contract function by string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ledger.chain.access import Decision
from ledger.chain.bodies import Body
from ledger.chain.head import Question, Questions

T = TypeVar("T")


@dataclass(frozen=True)
class Ask(Generic[T]):
    """One question, and how its raw answer becomes ``T``."""

    question: Question
    convert: Callable[[Any], T]


def _member(raw: Any) -> tuple[bytes, int]:
    return bytes(raw[0]), int(raw[1])


class BlockView:
    """The contracts as they stood at one block."""

    def __init__(self, questions: Questions, block: int) -> None:
        self.questions, self.block = questions, block

    def ask(self, *asks: Ask[Any]) -> list[Any]:
        """The answers of ``asks``, in order, asked together."""
        raw = self.questions.ask(self.block, *(a.question for a in asks))
        return [a.convert(r) for a, r in zip(asks, raw, strict=True)]

    def _q(self, contract: str, fn: str, *args: Any) -> Question:
        return self.questions.question(contract, fn, *args)

    # ------------------------------------------------------------ the questions

    def member(self, account: str) -> Ask[tuple[bytes, int]]:
        """(body id, roles bitmap); body zero: not a member."""
        return Ask(self._q("BodyRegistry", "memberOf", account), _member)

    def body(self, body: bytes) -> Ask[Body]:
        return Ask(self._q("BodyRegistry", "getBody", body), lambda raw: Body.from_view(body, raw))

    def founder(self) -> Ask[bytes]:
        return Ask(self._q("BodyRegistry", "founder"), bytes)

    def committee(self, subject: bytes) -> Ask[bytes]:
        """The residents' committee ``subject`` belongs to; zero: none."""
        return Ask(self._q("ResidentRegistry", "committeeOf", subject), bytes)

    def custodian(self, record_id: bytes) -> Ask[bytes]:
        """The body that keeps ``record_id``; reverts ``RecordRegistryUnknownRecord`` for no such record."""
        return Ask(self._q("RecordRegistry", "getRecord", record_id), lambda raw: bytes(raw[1]))

    def access(self, reader: str, record_id: bytes, mask: int, purpose: bytes, grant_id: int) -> Ask[Decision]:
        """``checkAccess``: may ``reader`` read these fields under grant ``grant_id`` for ``purpose``."""
        return Ask(self._q("AccessRegistry", "checkAccess", reader, record_id, mask, purpose, grant_id), Decision)

    def emergency(self, emergency_id: int, reader: str, record_id: bytes, mask: int, purpose: bytes) -> Ask[Decision]:
        """``checkEmergency``: may ``reader`` read these fields under their declaration ``emergency_id``."""
        return Ask(self._q("AccessRegistry", "checkEmergency", emergency_id, reader, record_id, mask, purpose), Decision)

    def seal_in_force(self, grant_id: int, emergency_id: int) -> Ask[int]:
        """``Seals.sealInForce``: the seal hiding a read under this grant or emergency (0: none, or own-body)."""
        target, target_id = (2, emergency_id) if emergency_id else (1, grant_id)
        return Ask(self._q("Seals", "sealInForce", target, target_id), int)

    def sealer_of(self, account: str) -> Ask[bool]:
        """``Seals.memberOfSealer``: whether ``account``'s body may seal its reads."""
        return Ask(self._q("Seals", "memberOfSealer", account), bool)

    def seal_count(self) -> Ask[int]:
        return Ask(self._q("Seals", "sealCount"), int)

    def seal_force(self, seal_id: int) -> Ask[bool]:
        """``Seals.inForce``: whether the seal hides its reads at this block."""
        return Ask(self._q("Seals", "inForce", seal_id), bool)

    def grant_for(self, reader: str, record_id: bytes, mask: int, purpose: bytes) -> Ask[tuple[Decision, int]]:
        """``findGrant``: the grant a read would go under, with the decision it would get."""
        return Ask(
            self._q("AccessRegistry", "findGrant", reader, record_id, mask, purpose),
            lambda raw: (Decision(raw[0]), int(raw[1])),
        )


def at(questions: Questions, block: int | None = None) -> BlockView:
    """The contracts at ``block``, by default the head this node follows."""
    return BlockView(questions, questions.head.current() if block is None else block)


def member_of(questions: Questions, account: str, block: int | None = None) -> tuple[bytes, int]:
    """(body id, roles bitmap) of ``account`` at ``block`` (the head by default); body zero: no member."""
    view = at(questions, block)
    answer: tuple[bytes, int] = view.ask(view.member(account))[0]
    return answer


def committee_at(questions: Questions, subject: bytes, block: int | None = None) -> bytes:
    """The residents' committee ``subject`` belongs to at ``block`` (the head by default); zero: none."""
    view = at(questions, block)
    return bytes(view.ask(view.committee(subject))[0])


def bodies_at(questions: Questions, ids: Sequence[bytes], block: int | None = None) -> list[Body]:
    """The registry's entries of ``ids`` at ``block`` (the head by default), asked in one batch."""
    view = at(questions, block)
    return list(view.ask(*(view.body(b) for b in ids)))


def founder_at(questions: Questions, block: int | None = None) -> bytes:
    view = at(questions, block)
    return bytes(view.ask(view.founder())[0])


def custodian_at(questions: Questions, record_id: bytes, block: int | None = None) -> bytes:
    """The body that keeps ``record_id`` on-chain (zero: no such record)."""
    view = at(questions, block)
    return bytes(view.ask(view.custodian(record_id))[0])
