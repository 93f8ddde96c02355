"""``ledger records``: a body's off-chain records — add, show, update, erase, disclose, verify, anchor."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ledger.cli.common import (
    DevAccountOpt,
    KeystoreOpt,
    err,
    maybe_signer,
    print_json,
    read_json,
    run,
    settings,
    signer,
)
from ledger.errors import BadArgument, InvalidRecord

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ledger.config import Settings
    from ledger.records.store import RecordStore

records_app = typer.Typer(help="A body's records: encrypted off-chain, committed on-chain.", no_args_is_help=True)

BodyOpt = Annotated[
    Optional[str],
    typer.Option(
        "--body",
        help="Body whose store to use (default: LEDGER_BODY, "
        "or the body of the account given with "
        "--dev-account or --keystore)",
    ),
]
RecordArg = Annotated[str, typer.Argument(help="Record id: 0x and 64 hex digits")]
FileArg = Annotated[Path, typer.Argument(help="JSON file ('-' for standard input)", allow_dash=True)]


def _read_json(path: Path) -> Any:
    from ledger.records.store import MAX_RECORD_BYTES

    # A record file may be a little larger than its canonical content (indentation, the ID).
    return read_json(
        path,
        limit=2 * MAX_RECORD_BYTES,
        error=InvalidRecord,
        what=f"records are limited to {MAX_RECORD_BYTES:,} bytes of canonical JSON",
    )


def parse_record_id(value: str) -> bytes:
    from ledger.ids import parse_record_id as parse

    return parse(value)


def _open(s: Settings, body: str | None, account: Any = None) -> RecordStore:
    from ledger.local.system import open_chain, open_store

    chain = open_chain(s)
    return open_store(s, chain, body_of(chain, body, account))


def body_of(chain: Any, body: str | None, account: Any) -> str:
    """``body`` if given, else the acting account's body by the chain."""
    if body is None and account is not None:
        from ledger.chain.bodies import BodyRegistry
        from ledger.ids import code_name

        member_body, _ = BodyRegistry(chain).member_of(account.address)
        if member_body != b"\0" * 32:
            body = code_name(member_body)
        else:
            raise BadArgument(f"{account.address} is not a member of any body: say which body with --body CODE")
    if body is None:
        raise BadArgument(
            "say which body: --body CODE, LEDGER_BODY, or the acting account with --dev-account N or --keystore FILE"
        )
    return body


def camel(row: Any) -> dict[str, Any]:
    """A stored row as the command line prints it: the API's camelCase names (recordId, anchorState)."""
    return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), k): v for k, v in row.model_dump(mode="json").items()}


def _record_json(store: RecordStore, record_id: bytes) -> dict[str, Any]:
    rec = store.get(record_id)
    return {**camel(rec), "versions": [camel(v) for v in store.versions(record_id)]}


@records_app.command("add")
def add(file: FileArg, body: BodyOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None) -> None:
    """Register a record from a JSON file: {"category": ..., "nationalId": ..., "fields": {...}}."""

    def go() -> dict[str, Any]:
        doc = _read_json(file)
        if not isinstance(doc, dict) or not {"category", "nationalId", "fields"} <= set(doc):
            raise InvalidRecord('a record file is {"category": ..., "nationalId": ..., "fields": {...}}')
        if not isinstance(doc["category"], str) or not isinstance(doc["nationalId"], str):
            raise InvalidRecord("category and nationalId are strings")
        account = signer(keystore, dev_account)
        s = settings(body=body)
        store = _open(s, s.body, account)
        rec = store.add(
            actor=store.c.chain.direct(account),
            category=doc["category"],
            national_id=doc["nationalId"],
            fields=doc["fields"],
        )
        return _record_json(store, bytes.fromhex(rec.record_id[2:]))

    print_json(run(go))


@records_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help='JSON Lines: one {"category", "nationalId", "fields"} a line')],
    body: BodyOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Register a backlog of records from a JSON Lines file, with progress bars. Every line is checked first
    (a bad line: nothing imported). Run it again after a crash or an outage: it finishes what is left, and
    registers nothing twice."""
    from ledger.cli.common import progress_bars
    from ledger.records.imports import import_records

    def go() -> dict[str, Any]:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise BadArgument(f"cannot read {file}: {exc.strerror}") from None
        account = signer(keystore, dev_account)
        s = settings(body=body)
        store = _open(s, s.body, account)
        with progress_bars() as bars:
            return import_records(store, store.c.chain.direct(account), data, progress=bars).to_json()

    print_json(run(go))


@records_app.command("list")
def list_records(
    body: BodyOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many")] = 100,
) -> None:
    """A body's records, metadata only (id, category, version, status): nothing is decrypted."""

    def go() -> list[dict[str, Any]]:
        s = settings(body=body)
        store = _open(s, s.body, maybe_signer(keystore, dev_account))
        return [camel(r) for r in store.list_records(offset=offset, limit=limit)]

    print_json(run(go))


PurposeOpt = Annotated[
    str,
    typer.Option(
        "--purpose", help="Why you look, a purpose code (e.g. grid_management); it is recorded in the access event"
    ),
]
FieldOpt = Annotated[Optional[list[str]], typer.Option("--field", help="A field (repeat); default: every field")]


def signed_read(store: RecordStore, account: Any, record_id: bytes, fields: list[str] | None, purpose: str) -> Any:
    """A look at a record by its own body's member, as any read is: a ReadRequest signed with their key,
    checked on-chain, and an access event committed before anything is shown (the trail has it)."""
    from eth_account.messages import encode_typed_data

    from ledger.access.reads import ReadService
    from ledger.store.trail import Trail

    service = ReadService(store=store, trail=Trail(store.engine, store.body))
    names = fields or store.schema(store.get(record_id).category)
    typed = service.prepare(reader=account.address, record_id=record_id, fields=names, purpose=purpose)
    signature = "0x" + bytes(account.sign_message(encode_typed_data(full_message=dict(typed))).signature).hex()
    return service.serve(typed=typed, signature=signature, signed_in=account.address)


def _acting(
    record_id: str, body: str | None, keystore: Path | None, dev_account: int | None
) -> tuple[bytes, LocalAccount, RecordStore]:
    """The record id, the acting account and its body's store (``--body`` defaults to the account's)."""
    rid = parse_record_id(record_id)
    account = signer(keystore, dev_account)
    s = settings(body=body)
    return rid, account, _open(s, s.body, account)


def _event_json(event: Any) -> dict[str, Any]:
    return {"seq": event.seq, "eventHash": event.event_hash, "block": event.block, "reader": event.reader}


@records_app.command("show")
def show(
    record_id: RecordArg,
    purpose: PurposeOpt,
    field: FieldOpt = None,
    body: BodyOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Look at a record's latest version as its body's member: a signed read with an access event, checked
    against the commitment; then print it. (Versions and commitments: `records list`, or below.)"""

    def go() -> dict[str, Any]:
        rid, account, store = _acting(record_id, body, keystore, dev_account)
        result = signed_read(store, account, rid, field, purpose)
        return {
            **_record_json(store, rid),
            "shown": result.bundle["version"],
            "fields": {f["name"]: f["value"] for f in result.bundle["fields"]},
            "accessEvent": _event_json(result.event),
        }

    print_json(run(go))


@records_app.command("update")
def update(
    record_id: RecordArg,
    file: FileArg,
    body: BodyOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Store a new version from a JSON file: {"fields": {...}}."""

    def go() -> dict[str, Any]:
        doc = _read_json(file)
        if not isinstance(doc, dict) or "fields" not in doc:
            raise InvalidRecord('an update file is {"fields": {...}}')
        rid, account, store = _acting(record_id, body, keystore, dev_account)
        store.update(actor=store.c.chain.direct(account), record_id=rid, fields=doc["fields"])
        return _record_json(store, rid)

    print_json(run(go))


@records_app.command("erase")
def erase(
    record_id: RecordArg,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: erasure cannot be undone")] = False,
    body: BodyOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Crypto-shred a record (an admin's decision): keys and ciphertexts deleted, status erased on-chain."""

    def go() -> dict[str, Any]:
        if not yes:
            raise BadArgument("erasure destroys the record for good; add --yes to confirm")
        rid, account, store = _acting(record_id, body, keystore, dev_account)
        store.erase(actor=store.c.chain.direct(account), record_id=rid)
        return _record_json(store, rid)

    print_json(run(go))


@records_app.command("disclose")
def disclose(
    record_id: RecordArg,
    field: Annotated[list[str], typer.Option("--field", help="A field to disclose (repeat)")],
    purpose: PurposeOpt,
    body: BodyOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Print a disclosure bundle of some fields of the latest version, verifiable against the chain alone
    (a signed read, on the trail like any other)."""

    def go() -> dict[str, Any]:
        rid, account, store = _acting(record_id, body, keystore, dev_account)
        result = signed_read(store, account, rid, field, purpose)
        err.print(f"access event {result.event.seq} recorded at {store.body.rstrip(bytes(1)).decode()}")
        return dict(result.bundle)

    print_json(run(go))


@records_app.command("verify")
def verify(file: FileArg) -> None:
    """Verify a disclosure bundle against the chain (no trust in whoever sent it)."""
    from ledger.chain.deploy import Contracts
    from ledger.commitments.disclosure import verify_bundle
    from ledger.local.system import open_chain

    def go() -> dict[str, Any]:
        bundle = _read_json(file)
        v = verify_bundle(bundle, Contracts.of(open_chain(settings())))
        return {
            "verified": True,
            "recordId": v.record_id,
            "version": v.version,
            "fields": v.fields,
            "recordErasedSince": v.erased,
        }

    print_json(run(go))


@records_app.command("anchor")
def anchor(body: BodyOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None) -> None:
    """Send the acting account's pending on-chain actions (after a crash or a chain outage)."""

    def go() -> dict[str, Any]:
        account = signer(keystore, dev_account)
        s = settings(body=body)
        store = _open(s, s.body, account)
        report = store.anchor(store.c.chain.direct(account))
        return {
            "anchored": [{"recordId": r, "version": v, "action": a} for r, v, a in report.anchored],
            "failed": [{"recordId": r, "version": v, "error": e} for r, v, e in report.failed],
            "stillPending": report.pending,
        }

    print_json(run(go))


@records_app.command("rewrap")
def rewrap(
    rotate: Annotated[bool, typer.Option("--rotate", help="First add a new active KEK to the keyring")] = False,
    body: BodyOpt = None,
) -> None:
    """Re-wrap every data key under a fresh epoch key, kept under the active key-encryption key; the old
    epoch is destroyed (record ciphertexts are not touched)."""
    from ledger.crypto.secrets import save_rotated

    def go() -> dict[str, Any]:
        s = settings(body=body)
        store = _open(s, s.body)
        where = None
        if rotate:  # saved before re-wrapping: a data key is never wrapped by a key not yet on disk
            store.keyring = store.keyring.rotated()
            assert s.body is not None
            where = save_rotated(s, s.body, store.keyring)
        count = store.rewrap_all()
        return {
            "activeKey": store.keyring.active,
            "epoch": store.epochs.current,
            "rewrapped": count,
            "keyringSavedTo": where,
        }

    print_json(run(go))
