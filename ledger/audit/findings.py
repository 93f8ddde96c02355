"""Every problem an audit can find, by a stable code, with its English words.

A finding is ``{"code", "vars", "message"}`` (and, for one node's audit, the ``kind`` and ``ref`` of
the item it concerns: an event, a record version, an anchor). ``message`` is the English text the
CLI and the HTML report print; the portal words the same finding in the reader's language from its
catalogue (``finding.<code>``, with the same ``{placeholders}``), so the code is the contract.
"""

from __future__ import annotations

from typing import Any

#: Finding code -> English words; ``{name}`` is filled from the finding's ``vars``.
FINDINGS: dict[str, str] = {
    # 1. records against their commitments
    "commitment_missing": "the chain has no commitment for this version",
    "commitment_differs": "the stored commitment differs from the chain's",
    "record_unreadable": "cannot be decrypted or parsed ({detail})",
    # 3. the trail: sequence, subject chains, anchors, hashes
    "event_missing": "missing: the trail jumps from {before} to {seq}",
    "event_out_of_order": "duplicate or out of order at {seq}",
    "subject_chain_broken": "its subject's previous event is not the one it names (an event of the subject was "
    "removed or moved)",
    "anchors_not_contiguous": "the chain's anchors of this body do not run without gap or overlap ({detail})",
    "anchor_not_recorded": "this database does not record the anchor the chain holds (its batch row was removed or altered)",
    "anchor_not_on_chain": "recorded here as anchored, but not on-chain",
    "anchor_events_missing": "the stored events of this anchor are not all there",
    "anchor_root_differs": "the root recomputed from the stored events differs from the chain's",
    "anchor_overdue": "not anchored, {seconds}s after it was written",
    "trail_short": "the chain anchors events up to {anchored}, this database holds them only up to {held}",
    "event_hash_differs": "its hash does not match its content (edited, reordered or re-timed)",
    # 4. signatures
    "request_digest_differs": "its read request does not match its digest",
    "request_not_signed_by_reader": "the read request is not signed by its reader",
    "request_other_read": "it records another read than its signed request asked for",
    "request_malformed": "malformed read request or signature ({detail})",
    # 2. the access rule at the event's block
    "fields_unknown": "reads fields {fields} that category {category} does not have",
    "reader_body_differs": "the event names another body than the one the reader belonged to then",
    "grant_refused": "grant {grant}: {why}",
    "seal_differs": "written under seal {written}, but the seal in force over its grant or emergency at its block was "
    "{on_chain} (0: none): a read hidden from its resident without a seal, or shown despite one",
    "no_grant": "read without a grant: {why}",
    "emergency_purpose": "emergency declaration {emergency}: read for '{purpose}', the declaration is for '{declared}'",
    "emergency_expired": "emergency declaration {emergency}: read after the declaration's one-hour window",
    "emergency_refused": "emergency declaration {emergency}: {why}",
    "emergency_unreviewed": "emergency read under declaration {emergency}, not reviewed yet",
    # the consortium audit: one node's answer against the chain
    "node_unreachable": "its node did not answer ({detail}): its records and trail were not audited",
    "answer_malformed": "a malformed audit answer ({detail})",
    "signed_by_other": "the result is signed by {signer}, not by the node account of {body}",
    "result_replayed": "the signed result is for another body or another request (replayed?)",
    "report_differs": "the report is not the one the node signed, or says something else",
    "trail_not_covered": "the audit covered the trail through event {through}; the chain anchors it through {anchored}",
    "records_missing": "the audit covered {covered} records; the chain registers {registered} kept by this body "
    "(records are missing from its database)",
    "check_failed": "check {number} ({title}) failed {failed} time(s)",
}

#: Why an access event breaks the access rule (``why`` of grant_refused, no_grant, emergency_refused), by the
#: rule's decision code; the portal's catalogue has each as ``finding.why.<code>``.
WHY: dict[str, str] = {
    "NOT_MEMBER": "the reader was not an officer or admin of a body then",
    "UNKNOWN_RECORD": "the record was not on the chain then",
    "RECORD_ERASED": "read after the record was erased",
    "NO_GRANT": "no such grant on-chain then, and the reader was not of the record's body",
    "WRONG_GRANT": "given for another reader, record, subject, category or body",
    "PURPOSE_MISMATCH": "for another purpose",
    "FIELDS_NOT_COVERED": "does not cover every field read",
    "REVOKED": "revoked before the read",
    "EXPIRED": "expired before the read",
    "CONSENT_MISSING": "read while the resident's consent was missing",
    "CONSENT_REFUSED": "read while the resident's consent was refused",
    "EMERGENCY_NOT_COVERED": "does not cover this read (reader, record, fields or the emergency role)",
    "EMERGENCY_UNJUSTIFIED": "read after the custodian reviewed the declaration as unjustified",
    "POST_ENDED": "read after the assignment the grant was bound to had ended",
    "OUTSIDE_GRID": "a resident outside the grids the reader's post covered then",
}


def finding(code: str, **vars: Any) -> dict[str, Any]:
    """``{"code", "vars", "message"}``; a ``why`` given as a decision code is worded in ``message``."""
    words = {k: WHY.get(v, v) if k == "why" else v for k, v in vars.items()}
    return {"code": code, "vars": vars, "message": FINDINGS[code].format(**words)}
