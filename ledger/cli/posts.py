"""``ledger posts``, ``ledger grids`` and ``ledger assignments``: what a member may read follows the post
they hold and the grids it covers.

Each command is a client of one API route (named in its help), at the person's own body's node: the
node prepares the transaction, the person's key signs it here, the node relays it.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ledger.cli.api import ApiOpt, call
from ledger.cli.common import DevAccountOpt, KeystoreOpt, print_json
from ledger.cli.governance import submitted

posts_app = typer.Typer(help="The consortium's post codes (list; the founding body's admins define).", no_args_is_help=True)
grids_app = typer.Typer(help="A residents' committee's grids (list; its admins publish).", no_args_is_help=True)
assignments_app = typer.Typer(
    help="Who holds which post at my body, and the grids it covers (admins assign and end).", no_args_is_help=True
)


@posts_app.command("list")
def posts_list(api: ApiOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None) -> None:
    """The consortium's post codes (GET /posts)."""
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", "/posts")))


@posts_app.command("define")
def posts_define(
    code: Annotated[str, typer.Argument(help="The new post code, e.g. household_registrar")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Add a post code to the consortium's list (POST /posts; admins of the founding body)."""
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", "/posts", {"code": code}))
    print_json(submitted(answer, "PostDefined"))


@grids_app.command("list")
def grids_list(
    body: Annotated[Optional[str], typer.Option("--body", help="A committee's code (default: mine)")] = None,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """A committee's grids, in the order published (GET /grids)."""
    path = f"/grids?body={body}" if body else "/grids"
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", path)))


@grids_app.command("publish")
def grids_publish(
    code: Annotated[str, typer.Argument(help="The grid's code, e.g. grid-3")],
    name: Annotated[str, typer.Option("--name", help="A place, never a person: it is public on-chain")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Publish a grid of my residents' committee (POST /grids; its admins)."""
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", "/grids", {"code": code, "name": name}))
    print_json(submitted(answer, "GridDefined"))


@assignments_app.command("list")
def assignments_list(
    current: Annotated[bool, typer.Option("--current", help="Only those in force")] = False,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """My body's post assignments (GET /assignments)."""
    path = "/assignments?current=true" if current else "/assignments"
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", path)))


@assignments_app.command("mine")
def assignments_mine(api: ApiOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None) -> None:
    """The post I hold and what it covers; null when none (GET /assignments/mine)."""
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", "/assignments/mine")))


@assignments_app.command("assign")
def assignments_assign(
    member: Annotated[str, typer.Argument(help="A member of my body (0x…)")],
    post: Annotated[str, typer.Option("--post", help="One of `ledger posts list`")],
    until: Annotated[str, typer.Option("--until", help="When it ends by itself (ISO 8601, e.g. 2027-12-31T00:00:00Z)")],
    grids: Annotated[list[str], typer.Option("--grid", help="A grid it covers; repeat; none: the whole body")] = [],  # noqa: B006
    start: Annotated[Optional[str], typer.Option("--from", help="When it starts (default: now)")] = None,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Assign a member of my body to a post (POST /assignments; admins); their former post ends."""
    body: dict[str, Any] = {"member": member, "post": post, "grids": grids, "until": until}
    if start:
        body["from"] = start
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", "/assignments", body))
    print_json(submitted(answer, "PostAssigned", "AssignmentEnded"))


@assignments_app.command("end")
def assignments_end(
    assignment: Annotated[int, typer.Argument(help="The assignment's id (`ledger assignments list`)", min=1)],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """End an assignment now (DELETE /assignments/{id}; admins of its body): every grant bound to it stops."""
    answer = call(api, keystore, dev_account, lambda c: c.act("DELETE", f"/assignments/{assignment}"))
    print_json(submitted(answer, "AssignmentEnded"))
