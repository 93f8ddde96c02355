"""Emergency ("break-glass") declarations, as this node prepares and shows them."""

from __future__ import annotations

import datetime as dt

from api.deps import Actor, Node
from api.schemas.emergencies import EmergencyIn, EmergencyOut
from api.schemas.tx import Prepared
from api.services.access import kept_text, may_read_texts
from api.services.transactions import prepare
from ledger.chain.access import Emergency
from ledger.ids import code_id, code_name, hex32, parse_record_id, salted_hash


def emergency_out(node: Node, e: Emergency, actor: Actor | None = None) -> EmergencyOut:
    record = node.store.get(e.record_id)
    who = node.people.of([e.reader]).get(e.reader)
    return EmergencyOut(
        id=e.id,
        reader=e.reader,
        readerBody=code_name(e.reader_body),
        readerName=who.name if who else None,
        readerPost=who.post if who else None,
        recordId=hex32(e.record_id),
        custodian=code_name(e.custodian),
        fields=node.store.fields(record.category, e.fields),
        purpose=code_name(e.purpose),
        declaredAt=dt.datetime.fromtimestamp(e.declared_at, dt.UTC),
        reviewed=e.reviewed,
        justified=e.justified if e.reviewed else None,
        reasonHash=hex32(e.reason_hash),
        reason=kept_text(node, e.reason_hash) if actor and may_read_texts(actor, e.custodian, e.reader) else None,
    )


def declare_here(node: Node, actor: Actor, body: EmergencyIn) -> Prepared:
    """The declaration prepared at this node, the custodian, which keeps its reason."""
    rid = parse_record_id(body.recordId)
    record = node.store.get(rid)
    reason, salt = salted_hash(body.reason)
    return prepare(
        node,
        actor,
        node.contracts.access.handle,
        "declareEmergency",
        rid,
        node.store.mask(record.category, body.fields),
        code_id(body.purpose),
        reason,
        summary=f"declare an emergency read of record {body.recordId[:10]}…",
        salts={"reason": salt},
        texts={"reason": ("reason", body.reason)},
    )
