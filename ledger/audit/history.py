"""What the chain held at a past block, for the access rule (:mod:`ledger.access.rule`).

The audit re-decides every access event at the block where its node checked it. Grants and
emergency declarations come from the chain index; members' roles, consent and erasures change
rarely, so their whole history is read from the chain's logs once per audit (not from the
database under audit) and looked up by block.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes

from ledger.chain.access import ConsentState, Emergency, Grant, Scope
from ledger.chain.bodies import Assignment
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
    """Members' bodies and roles, bodies removed, records erased, consent, and posts and grids, by block."""

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
        self._posts(c, start)

    def _posts(self, c: Contracts, start: int) -> None:
        """Assignments, each member's current one, grids, where residents are placed and their committees."""
        b, r = c.bodies.handle, c.residents.handle
        self._assignments: dict[int, tuple[int, Assignment]] = {}  # id -> (block made, as made)
        self._ended: dict[int, int] = {}  # id -> block it ended
        self._current: dict[str, _Timeline] = {}
        logs = [(e, log) for e in ("PostAssigned", "AssignmentEnded") for log in b.logs(e, from_block=start)]
        for event, log in sorted(logs, key=lambda p: _order(p[1])):
            aid, member, block = int(log["assignmentId"]), str(log["member"]).lower(), int(log["blockNumber"])
            line = self._current.setdefault(member, _Timeline())
            if event == "PostAssigned":
                a = Assignment(
                    aid,
                    str(log["member"]),
                    bytes(log["body"]),
                    bytes(log["post"]),
                    int(log["from"]),
                    int(log["until"]),
                    0,
                    tuple(bytes(g) for g in log["grids"]),
                )
                self._assignments[aid] = (block, a)
                line.add(block, aid)
            else:
                self._ended[aid] = block
                if line.at(block, 0) == aid:
                    line.add(block, 0)
        self._grids_from: dict[bytes, int] = {}
        for log in sorted(b.logs("GridDefined", from_block=start), key=_order):
            self._grids_from.setdefault(bytes(log["body"]), int(log["blockNumber"]))
        self._placed: dict[bytes, _Timeline] = {}
        for log in sorted(r.logs("ResidentPlaced", from_block=start), key=_order):
            value = (bytes(log["committee"]), bytes(log["grid"]))
            self._placed.setdefault(bytes(log["subject"]), _Timeline()).add(int(log["blockNumber"]), value)
        self._committees: dict[bytes, _Timeline] = {}
        moves = [(e, log) for e in ("ResidentEnrolled", "ResidentTransferred") for log in r.logs(e, from_block=start)]
        for event, log in sorted(moves, key=lambda p: _order(p[1])):
            committee = bytes(log["committee"] if event == "ResidentEnrolled" else log["to"])
            self._committees.setdefault(bytes(log["subject"]), _Timeline()).add(int(log["blockNumber"]), committee)
        self._grant_posts = {
            int(log["grantId"]): (bytes(log["post"]), int(log["assignment"]))
            for log in c.access.handle.logs("GrantCreated", from_block=start)
            if int(log["assignment"]) or bytes(log["post"]) != ZERO
        }

    def assignment_at(self, assignment_id: int, block: int) -> Assignment | None:
        """Assignment ``assignment_id`` as ``getAssignment`` answered after ``block`` (None before it was made)."""
        made = self._assignments.get(assignment_id)
        if made is None or made[0] > block:
            return None
        ended = self._ended.get(assignment_id)
        return made[1] if ended is None or ended > block else dataclasses.replace(made[1], ended_at=1)

    def current_assignment_at(self, account: str, block: int) -> Assignment | None:
        """``assignmentOf(account)`` after ``block``, as an assignment."""
        line = self._current.get(account.lower())
        return self.assignment_at(line.at(block, 0), block) if line else None

    def has_grids_at(self, body: bytes, block: int) -> bool:
        first = self._grids_from.get(body)
        return first is not None and first <= block

    def grid_in_at(self, subject: bytes, committee: bytes, block: int) -> bytes:
        """The grid ``subject`` is placed in after ``block`` if ``committee`` is then their committee (zero otherwise),
        as ``AccessRegistry`` asks ``committeeOf`` and ``gridOf``."""
        line = self._committees.get(subject)
        if line is None or line.at(block, ZERO) != committee:
            return ZERO
        placed = self._placed.get(subject)
        where, grid = placed.at(block, (ZERO, ZERO)) if placed else (ZERO, ZERO)
        return grid if where == committee else ZERO

    def grant_post(self, grant_id: int) -> tuple[bytes, int]:
        """The post a grant is for and the assignment it is bound to (zero, 0 when neither)."""
        return self._grant_posts.get(grant_id, (ZERO, 0))

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
