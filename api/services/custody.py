"""Who keeps a record, and who acts for a resident: the chain's answers this node's flows start from."""

from __future__ import annotations

from api.deps import Actor, Node
from ledger.chain.views import committee_at, custodian_at
from ledger.errors import ContractRevert, NotAuthorized
from ledger.ids import Role, code_name

ZERO = b"\0" * 32


def keeper_of(node: Node, record_id: bytes) -> bytes | None:
    """The other body that keeps ``record_id``, as the chain says; None when it is kept here (or
    nowhere: the local look-up answers 404). Such a record is served by that body's node."""
    if node.store.exists(record_id):
        return None
    try:
        custodian = custodian_at(node.questions, record_id)  # at the head this node follows, asked once a block
    except ContractRevert as exc:
        if exc.error != "RecordRegistryUnknownRecord":
            raise
        try:  # registered since that head, perhaps: the chain's latest block says
            custodian = node.contracts.records.get_record(record_id).custodian
        except ContractRevert as again:
            if again.error == "RecordRegistryUnknownRecord":
                return None
            raise
    return None if custodian in (ZERO, node.store.body) else custodian


def require_own_resident(node: Node, subject: bytes, what: str, actor: Actor | None = None) -> None:
    """Refuses (403 ``NotResidentsCommittee``) unless ``subject`` belongs to this node's body, a residents'
    committee, on-chain now, and ``actor`` (when given) is an officer or admin of it: only a resident's own
    committee acts for them (issues codes, gathers their trail, links a wallet, records consent)."""
    committee = committee_at(node.questions, subject)  # at the head this node follows, asked once a block
    if committee != node.store.body:
        where = (
            f"{code_name(committee)}'s node"
            if committee != ZERO
            else "the node of their residents' committee, once it has registered them"
        )
        raise NotAuthorized(
            f"only a resident's own residents' committee may {what}: this resident's is at {where}, not at {node.body}'s",
            error="NotResidentsCommittee",
        )
    if actor is not None:
        actor.require(Role.OFFICER | Role.ADMIN, what, body=node.body)
