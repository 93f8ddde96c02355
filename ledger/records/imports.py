"""``ledger records import``: a committee's backlog, one JSON record a line, registered in one go.

Every line is checked before anything is stored (a bad file changes nothing, and the error names the
lines). Each record's id is derived from the body, the file's SHA-256 and the line number, so running
the same file again after a crash stages only what was not staged yet, and sends only what the chain
does not have: nothing is registered twice. Staging goes in transactions of a few hundred records;
anchoring goes pipelined, several transactions a block (:mod:`ledger.records.outbox`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from ledger.chain.client import DirectActor
from ledger.crypto.subjects import normalise_national_id
from ledger.errors import InvalidRecord, LedgerError
from ledger.jsondepth import too_deep
from ledger.records.outbox import AnchorReport
from ledger.records.store import RecordStore

#: Lines of a file named in one error.
SHOWN = 5
MAX_LINES = 1_000_000


@dataclass(frozen=True)
class ImportReport:
    records: int
    staged: int
    already_staged: int
    anchor: AnchorReport

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "staged": self.staged,
            "alreadyStaged": self.already_staged,
            "anchored": len(self.anchor.anchored),
            "failed": [list(f) for f in self.anchor.failed],
            "pending": self.anchor.pending,
        }


def import_record_id(body: bytes, file_hash: bytes, line: int) -> bytes:
    """The record id of line ``line`` (1-based) of the file whose SHA-256 is ``file_hash``."""
    return keccak(b"civic-ledger/import/v1" + body + file_hash + line.to_bytes(8, "big"))


def parse_lines(store: RecordStore, data: bytes) -> list[tuple[bytes, str, str, dict[str, Any]]]:
    """Every record of the file, checked, with its id; or :class:`InvalidRecord` naming the bad lines."""
    file_hash = hashlib.sha256(data).digest()
    items, problems = [], []
    lines = data.splitlines()
    if len(lines) > MAX_LINES:
        raise InvalidRecord(f"an import file has at most {MAX_LINES:,} lines")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            if deep := too_deep(raw):
                raise InvalidRecord(f"refused: {deep}")
            doc = json.loads(raw)
            if (
                not isinstance(doc, dict)
                or not {"category", "nationalId", "fields"} <= set(doc)
                or not isinstance(doc["category"], str)
                or not isinstance(doc["nationalId"], str)
            ):
                raise InvalidRecord('each line is {"category": ..., "nationalId": ..., "fields": {...}}')
            fields = store.validate(doc["category"], doc["fields"])
            normalise_national_id(doc["nationalId"])  # the number's form and check character
        except (ValueError, LedgerError) as exc:
            message = exc.message if isinstance(exc, LedgerError) else f"not JSON ({exc.__class__.__name__})"
            problems.append(f"line {number}: {message}")
            continue
        items.append((import_record_id(store.body, file_hash, number), doc["category"], doc["nationalId"], fields))
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise InvalidRecord("nothing was imported: " + "; ".join(problems[:SHOWN]) + more)
    if not items:
        raise InvalidRecord("the file holds no record")
    return items


def import_records(
    store: RecordStore, actor: DirectActor, data: bytes, *, progress: Callable[[str, int, int], None] = lambda *_: None
) -> ImportReport:
    """Checks every line, stages the records not staged yet, then anchors this account's pending entries."""
    items = parse_lines(store, data)
    first_new = next((it for it in items if not store.exists(it[0])), None)
    if first_new is not None:  # a refusal that would hit every record (no role, unknown category) stops it here
        rid, category, national_id, _ = first_new
        store.simulate_register(actor, rid, category, national_id)
    staged = 0
    for start in range(0, len(items), 1000):
        staged += store.stage_many(actor=actor, items=items[start : start + 1000])
        progress("staging", min(start + 1000, len(items)), len(items))
    report = store.anchor(actor, progress=lambda done, total: progress("anchoring", done, total))
    return ImportReport(len(items), staged, len(items) - staged, report)
