"""``ledger notify``: the notices to residents a body's node holds, and whether each reached the gateway."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli.api import ApiOpt, call
from ledger.cli.common import DevAccountOpt, KeystoreOpt, print_json


def register(app: typer.Typer) -> None:
    @app.command("notify")
    def notify(
        limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many, newest first")] = 100,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """The outbox of notices to residents at my body's node: kind, state, attempts, the gateway's receipt
        (GET /notices/outbox; its admins and auditors)."""
        print_json(
            call(api, keystore, dev_account, lambda c: c.request("GET", "/notices/outbox", params={"limit": str(limit)}))
        )
