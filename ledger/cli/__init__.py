"""The ``ledger`` command line: one module per command group, each importing what it needs only when a
command runs, so that ``ledger --help`` and client commands start at once."""

from __future__ import annotations

import os

import typer

from ledger.cli import api, bench, keys, records, system, trail

app = typer.Typer(help="Civic Ledger: resident-record commitments, access grants and access trails on a permissioned chain.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
system.register(app)
app.add_typer(bench.bench_app, name="bench")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(records.records_app, name="records")
api.register(app)  # after the system commands, so `--help` lists those first
trail.register(app)


def main() -> None:
    # Everything the node writes — databases and their WAL, logs, keys, chain state — is its operator's
    # alone: files 0600, folders 0700, whatever the shell's umask.
    os.umask(0o077)
    app()


if __name__ == "__main__":
    main()
