"""What the chain held at a past block, for the access rule (:mod:`ledger.access.rule`).

The audit re-decides every access event at the block where its node checked it. Grants and
emergency declarations come from the chain index; members' roles, consent and erasures change
rarely, so their whole history is read from the chain's logs once per audit (not from the
database under audit) and looked up by block.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes

from ledger.chain.access import ConsentState, Emergency, Grant, Scope
from ledger.chain.deploy import Contracts
from ledger.index.models import IxEmergency, IxGrant, IxRequest

ZERO = b"\0" * 32


def _order(log: dict[str, Any]) -> tuple[int, int]:
    return int(log["blockNumber"]), int(log.get("logIndex", 0))


@dataclass
class _Timeline:
    """Values that change at blocks: the one in force after a block."""

    blocks: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)

    def add(self, block: int, value: Any) -> None:
        self.blocks.append(block)
        self.values.append(value)

    def at(self, block: int, default: Any) -> Any:
        i = bisect.bisect_right(self.blocks, block)
        return self.values[i - 1] if i else default


class ChainHistory:
    """Members' bodies and roles, bodies removed, records erased and consent, by block."""

    def __init__(self, c: Contracts) -> None:
        start = c.chain.manifest.deploy_block if c.chain.manifest else 0
        b = c.bodies.handle
        member_logs = [
            (e, log) for e in ("MemberAdded", "MemberRolesChanged", "MemberRemoved") for log in b.logs(e, from_block=start)
        ]
        self._members: dict[str, _Timeline] = {}
        for event, log in sorted(member_logs, key=lambda p: _order(p[1])):
            line = self._members.setdefault(str(log["account"]).lower(), _Timeline())
            body = bytes(log["body"])
            line.add(int(log["blockNumber"]), (body, 0 if event == "MemberRemoved" else int(log["roles"])))
        self._bodies_removed = {
            bytes(log["body"]): int(log["blockNumber"]) for log in b.logs("BodyRemoved", from_block=start)
        }
        self._erased = {
            bytes(log["recordId"]): int(log["blockNumber"])
            for log in c.records.handle.logs("RecordErased", from_block=start)
        }
        self._consents: dict[tuple[int, bytes], _Timeline] = {}
        for log in sorted(c.access.handle.logs("ConsentRecorded", from_block=start), key=_order):
            key = (int(log["grantId"]), bytes(log["subject"]))
            self._consents.setdefault(key, _Timeline()).add(int(log["blockNumber"]), ConsentState(int(log["state"])))

    def member_at(self, account: str, block: int) -> tuple[bytes, int]:
        """The body and roles of ``account`` after ``block`` (roles 0 when not an active member then)."""
        line = self._members.get(account.lower())
        body, roles = line.at(block, (ZERO, 0)) if line else (ZERO, 0)
        removed = self._bodies_removed.get(body)
        if removed is not None and removed <= block:
            roles = 0
        return body, roles

    def erased_by(self, record_id: bytes, block: int) -> bool:
        at = self._erased.get(record_id)
        return at is not None and at <= block

    def consent_at(self, grant_id: int, subject: bytes, block: int) -> ConsentState:
        line = self._consents.get((grant_id, subject))
        return line.at(block, ConsentState.NONE) if line else ConsentState.NONE


def _seconds(at: dt.datetime) -> int:
    """A block time from the index (SQLite returns it without its zone: UTC)."""
    return int((at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp())


def _b32(value: str) -> bytes:
    return bytes(HexBytes(value)).rjust(32, b"\0")


def grant_at(g: IxGrant | None, r: IxRequest | None, block: int) -> Grant | None:
    """A grant from the chain index as ``getGrant`` answered after ``block`` (None before it was created)."""
    if g is None or r is None or g.created_block > block:
        return None
    return Grant(
        id=g.grant_id,
        scope=Scope(r.scope),
        revoked=g.revoked_block is not None and g.revoked_block <= block,
        expires_at=g.expires_at,
        grantee=g.grantee,
        grantee_body=_b32(g.grantee_body),
        custodian=_b32(g.custodian),
        record_id=_b32(r.record_id),
        subject=_b32(r.subject),
        category=_b32(r.category),
        fields=int(r.field_mask, 16),
        purpose=_b32(r.purpose),
        request_id=g.request_id,
    )


def emergency_at(em: IxEmergency | None, block: int) -> Emergency | None:
    """A declaration from the chain index as ``getEmergency`` answered after ``block`` (None before it was made;
    the hashes of its reason and outcome, which the rule does not ask, are left zero)."""
    if em is None or em.declared_block > block:
        return None
    reviewed = em.reviewed_block is not None and em.reviewed_block <= block
    return Emergency(
        id=em.emergency_id,
        reader=em.reader,
        declared_at=_seconds(em.declared_at),
        reviewed=reviewed,
        justified=bool(em.justified) if reviewed else False,
        reader_body=_b32(em.reader_body),
        record_id=_b32(em.record_id),
        custodian=_b32(em.custodian),
        fields=int(em.field_mask, 16),
        purpose=_b32(em.purpose) if em.purpose else ZERO,
        reason_hash=ZERO,
        outcome_hash=ZERO,
    )
