"""The access trail: a resident's events, bundles and proofs, and who may ask for them."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from typing import Any

import jwt
from fastapi import Request

from api.deps import Actor, Node
from api.ratelimit import RateLimit
from api.schemas.trail import AnchorRef, ByCodeIn, EmergencyFlag, NoticeRef, SessionOut, TrailEvent, TrailPage
from api.services.custody import require_own_resident
from ledger.chain.access import ZERO
from ledger.errors import InvalidInput, NotAuthenticated, NotAuthorized, NotFound
from ledger.ids import code_name, hex32, parse_record_id
from ledger.store.models import AccessEvent, Notice
from ledger.store.trail import code_hash, normalise_code
from ledger.trail.proofs import build_trail, event_material

#: The audience of a resident's trail session (a JWT of its own key: never accepted as a sign-in).
SESSION_AUDIENCE = "civic-ledger/trail-session"


def events_out(node: Node, events: list[AccessEvent]) -> list[TrailEvent]:
    """Events with their emergency flags (from the chain index) and anchors."""
    anchors = node.trail.anchors_of([e.seq for e in events])
    people = node.people.of({e.reader for e in events})
    scopes: dict[tuple[str, int], list[str]] = {}
    seals = {i: node.contracts.seals.get(i) for i in {e.seal_id for e in events if e.seal_id}}
    # a node with no gateway tells nobody: its events carry no notice
    told = node.outbox.told_of(e.seq for e in events) if node.delivery is not None else {}
    out = []
    for e in events:
        flag = None
        if e.emergency_id:
            em = node.indexer.emergency(e.emergency_id)
            reviewed = em is not None and em.reviewed_at is not None
            flag = EmergencyFlag(id=e.emergency_id, reviewed=reviewed, justified=em.justified if em else None)
        a = anchors.get(e.seq)
        anchor = (
            AnchorRef(firstSeq=a.first_seq, lastSeq=a.last_seq, kind=a.kind, transactionHash=a.tx_hash, blockNumber=a.block)
            if a
            else None
        )
        who = people.get(e.reader)
        if who is not None and who.name is None and who.post and (e.reader, e.block) not in scopes:
            scopes[(e.reader, e.block)] = grids_read_from(node, e.reader, e.block)
        out.append(
            TrailEvent(
                seq=e.seq,
                at=e.at,
                reader=e.reader,
                readerName=who.name if who else None,
                readerPost=who.post if who else None,
                readerGrids=scopes.get((e.reader, e.block), []),
                readerBody=code_name(bytes.fromhex(e.reader_body[2:])),
                recordId=e.record_id,
                version=e.version,
                category=e.category,
                fields=json.loads(e.fields),
                purpose=e.purpose,
                grantId=e.grant_id or None,
                emergency=flag,
                eventHash=e.event_hash,
                anchor=anchor,
                notice=notice_ref(told.get(e.seq)),
                sealedUntil=dt.datetime.fromtimestamp(seals[e.seal_id].ended_at(), dt.UTC) if e.seal_id else None,
            )
        )
    return out


def notice_ref(n: Notice | None) -> NoticeRef | None:
    return NoticeRef(id=n.id, kind=n.kind, state=n.state, deliveredAt=n.delivered_at) if n else None


def grids_read_from(node: Node, reader: str, block: int) -> list[str]:
    """The names of the grids the post ``reader`` held at ``block`` covered (none: no post, or a whole body)."""
    b = node.contracts.bodies
    held = int(b.handle.view("assignmentOf", reader, block=block))
    if not held:
        return []
    a = b.get_assignment(held)
    return [b.grid_name(a.body, g) for g in a.grids]


def code_limit(request: Request) -> RateLimit:
    limiter: RateLimit | None = getattr(request.app.state, "code_limit", None)
    if limiter is None:
        s = request.app.state.node.settings
        limiter = request.app.state.code_limit = RateLimit(s.api_code_attempts, s.api_code_window)
    return limiter


def subject_by_code(node: Node, request: Request, body: ByCodeIn) -> str:
    """The resident whose access code, or trail session, ``body`` carries (rate-limited per client)."""
    limit, client = code_limit(request), request.client.host if request.client else "unknown"
    limit.check(client)
    try:
        subject = _subject_of_session(node, body.session) if body.session else node.trail.subject_of_code(body.code or "")
    except InvalidInput:
        limit.fail(client)
        raise
    if subject is None:
        limit.fail(client)
        raise NotAuthenticated(
            "the trail session has ended (its code was replaced or expired, or it timed out): enter the access code again"
            if body.session
            else "the access code is not valid (unknown, replaced or expired)"
        )
    require_own_resident(
        node,
        parse_record_id(subject),
        "show a resident's trail by access code (a resident who moved asks their new committee for a code)",
    )
    return subject


def open_session(node: Node, request: Request, code: str) -> SessionOut:
    """A trail session for the tab: the page keeps it instead of the code, and it ends with the code."""
    subject = subject_by_code(node, request, ByCodeIn(code=code))
    hashed = code_hash(normalise_code(code))
    code_ends = node.trail.code_expiry(hashed)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=node.settings.api_token_ttl)
    if code_ends is not None:
        expires = min(expires, code_ends)
    secret = _session_secret(node)
    token = jwt.encode({"sub": subject, "ch": hashed, "aud": SESSION_AUDIENCE, "exp": expires}, secret, algorithm="HS256")
    return SessionOut(session=token, expiresAt=expires)


def _subject_of_session(node: Node, session: str) -> str | None:
    try:
        claims = jwt.decode(
            session, _session_secret(node), algorithms=["HS256"], audience=SESSION_AUDIENCE, options={"require": ["exp"]}
        )
    except jwt.InvalidTokenError:
        return None
    subject = node.trail.subject_of_code_hash(str(claims.get("ch", "")))
    return subject if subject is not None and subject == claims.get("sub") else None


def _session_secret(node: Node) -> bytes:
    """A key of its own for trail sessions, from the node's token secret (a session is never a sign-in token)."""
    assert node.settings.api_token_secret is not None
    return hmac.new(node.settings.api_token_secret.get_secret_value().encode(), b"trail sessions", "sha256").digest()


def my_subject(node: Node, actor: Actor) -> str:
    subject = node.contracts.residents.resident_subject(actor.address)
    if subject == ZERO:
        raise NotAuthorized("this account is not linked to a resident; ask your committee to link it", error="NotResident")
    return hex32(subject)


def trail_bundle(node: Node, subject: str) -> dict[str, Any]:
    return build_trail(node.trail, node.contracts, node.relayer.account, subject, hidden=node.seals.in_force())


def page(node: Node, subject: str, before: int | None, limit: int) -> TrailPage:
    hidden = node.seals.in_force()  # sealed reads: not shown, nor counted, until their seal ends
    events = node.trail.latest(subject_id=subject, before=before, limit=limit + 1, hidden=hidden)
    more = len(events) > limit
    events = events[:limit]
    return TrailPage(
        custodian=node.body,
        subjectId=subject,
        events=events_out(node, events),
        total=node.trail.count_of(subject, hidden=hidden),
        nextBefore=events[-1].seq if more else None,
    )


def material(node: Node, subject: str, seq: int) -> dict[str, Any]:
    found = event_material(node.trail, node.contracts, node.relayer.account, subject, seq, hidden=node.seals.in_force())
    if found is None:
        raise NotFound(f"no access event {seq} of this resident at this node", error="NoSuchEvent")
    return found
