"""``ledger residents``: which committee a resident belongs to, moves between committees, residents' wallets.

Clients of a body's API, as the other person-facing commands: each acts with the person's own key,
at their own body's node (``--api``).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ledger.cli.api import ApiOpt, call
from ledger.cli.common import DevAccountOpt, KeystoreOpt, fail, print_json
from ledger.errors import BadArgument

residents_app = typer.Typer(
    help="Residents and their committees: show, enrol, move, place in a grid, link or unlink a wallet.", no_args_is_help=True
)
NationalIdOpt = Annotated[str, typer.Option("--national-id", envvar="LEDGER_NATIONAL_ID", help="The resident")]


@residents_app.command("show")
def show(
    national_id: NationalIdOpt, api: ApiOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None
) -> None:
    """The resident's committee, the committees before it, and a move waiting for approval (staff of residents'
    committees and subdistrict offices)."""
    print_json(
        call(api, keystore, dev_account, lambda c: c.request("POST", "/residents/lookup", json={"nationalId": national_id}))
    )


@residents_app.command("enrol")
def enrol(
    national_id: NationalIdOpt, api: ApiOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None
) -> None:
    """Enrol a resident of no committee in yours (a committee's first record of a resident does it too)."""
    print_json(call(api, keystore, dev_account, lambda c: c.act("POST", "/residents/enrol", {"nationalId": national_id})))


@residents_app.command("transfer")
def transfer(
    national_id: NationalIdOpt,
    to: Annotated[str, typer.Option("--to", help="The residents' committee the resident moves to")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Approve a resident's move to another committee (an admin of either committee: both must approve; or an
    admin of the subdistrict office both belong to, alone)."""

    def go(c: Any) -> Any:
        done = c.act("POST", "/residents/transfer", {"nationalId": national_id, "to": to})
        return {
            "transactionHash": done["transactionHash"],
            "moved": "ResidentTransferred" in done["events"],
            "events": done["events"],
        }

    print_json(call(api, keystore, dev_account, go))


@residents_app.command("link")
def link(
    national_id: NationalIdOpt,
    account: Annotated[str, typer.Option("--account", help="The resident's own account (0x…)")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Link a resident's own account to them, so they sign in and consent with it (their committee's staff)."""
    print_json(
        call(
            api,
            keystore,
            dev_account,
            lambda c: c.act("POST", "/residents", {"account": account, "nationalId": national_id}),
        )
    )


@residents_app.command("unlink")
def unlink(
    account: Annotated[str, typer.Option("--account", help="The resident's account (0x…)")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Unlink a resident's account (the resident themselves, or their committee's staff)."""
    print_json(call(api, keystore, dev_account, lambda c: c.act("DELETE", f"/residents/{account}")))


@residents_app.command("place")
def place(
    national_id: NationalIdOpt,
    grid: Annotated[Optional[str], typer.Option("--grid", help="A grid of the committee (`ledger grids list`)")] = None,
    nowhere: Annotated[bool, typer.Option("--no-grid", help="Take the resident out of every grid")] = False,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Place a resident in a grid of their own committee (PUT /residents/grid; its admins): that grid's worker
    then reads them as their committee's own."""
    if (grid is None) == (not nowhere):
        fail(BadArgument("give --grid CODE, or --no-grid"))
    body = {"nationalId": national_id, "grid": grid}
    print_json(call(api, keystore, dev_account, lambda c: c.act("PUT", "/residents/grid", body)))
