"""The ``ledger`` command line: one module per command group, each importing what it needs only when a
command runs, so that ``ledger --help`` and client commands start at once."""

from __future__ import annotations

import json
import os
from typing import NoReturn

import typer

from ledger.cli import (
    api,
    bench,
    consortium,
    governance,
    keys,
    notify,
    posts,
    records,
    residents,
    seals,
    system,
    trail,
    watchdog,
)
from ledger.cli.common import err
from ledger.errors import Internal, LedgerError

app = typer.Typer(
    help="Civic Ledger: resident-record commitments, access grants and access trails on a permissioned chain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
system.register(app)
app.add_typer(bench.bench_app, name="bench")
app.add_typer(consortium.consortium_app, name="consortium")
app.add_typer(governance.bodies_app, name="bodies")
app.add_typer(governance.members_app, name="members")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(posts.posts_app, name="posts")
app.add_typer(posts.grids_app, name="grids")
app.add_typer(posts.assignments_app, name="assignments")
app.add_typer(records.records_app, name="records")
app.add_typer(residents.residents_app, name="residents")
app.add_typer(seals.seals_app, name="seals")
app.add_typer(watchdog.watchdog_app, name="watchdog")
api.register(app)  # after the system commands, so `--help` lists those first
trail.register(app)
notify.register(app)


def main() -> None:
    # Everything the node writes — databases and their WAL, logs, keys, chain state — is its operator's
    # alone: files 0600, folders 0700, whatever the shell's umask.
    os.umask(0o077)
    try:
        app()
    except LedgerError as exc:  # one a command did not catch itself: still JSON, with its code
        _exit(exc)
    except Exception as exc:  # noqa: BLE001 — anything unexpected is an error in words, never a traceback
        if os.environ.get("LEDGER_DEBUG"):
            raise
        _exit(Internal(f"unexpected {type(exc).__name__}: {exc} (LEDGER_DEBUG=1 shows where)"))


def _exit(exc: LedgerError) -> NoReturn:
    err.print_json(json.dumps(exc.to_json()))
    raise SystemExit(1)


if __name__ == "__main__":
    main()
