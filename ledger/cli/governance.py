"""``ledger bodies``, ``ledger members`` and ``ledger node publish``: the consortium's governance, as
its admins do it at their own body's node.

Each command is a client of one API route (named in its help): the node prepares the transaction, the
admin's key signs it here, the node relays it. Admitting or removing a body is a proposal the admins of
other bodies vote for; members and the published node are the body's own admins' to change. After
each, every operator regenerates the chain's allowlists (``ledger consortium allowlists --rpc``).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ledger.cli.api import ApiOpt, call
from ledger.cli.common import DevAccountOpt, KeystoreOpt, print_json

bodies_app = typer.Typer(
    help="The consortium's bodies and the votes that admit or remove them (admins, at their own node).",
    no_args_is_help=True,
)
members_app = typer.Typer(help="My body's members and their roles (admins, at their own node).", no_args_is_help=True)

KINDS = ("residents_committee", "subdistrict_office", "department", "auditor", "oversight")
ROLES = ("admin", "officer", "auditor", "emergency", "node")
DaysOpt = Annotated[int, typer.Option("--days", min=1, max=90, help="Days the vote stays open")]


def submitted(answer: dict[str, Any], *events: str) -> dict[str, Any]:
    """A relayed transaction, in short: its hash, block and the events that say what it did."""
    logs = [{"event": log["event"], **log["args"]} for log in answer.get("logs", []) if log["event"] in events]
    return {"transactionHash": answer.get("transactionHash"), "blockNumber": answer.get("blockNumber"), "events": logs}


@bodies_app.command("list")
def bodies_list(
    proposals: Annotated[bool, typer.Option("--proposals", help="List the proposals and their votes instead")] = False,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """The consortium's bodies (GET /bodies), or with --proposals the admission and removal votes
    (GET /bodies/proposals): open ones, and whether my body has voted."""
    path = "/bodies/proposals" if proposals else "/bodies"
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", path)))


@bodies_app.command("propose")
def bodies_propose(
    code: Annotated[str, typer.Argument(help="The new body's code, e.g. housing-bureau")],
    name: Annotated[str, typer.Option("--name", help="Its name (only its hash goes on-chain)")],
    kind: Annotated[str, typer.Option("--kind", help=f"One of {', '.join(KINDS)}")],
    admins: Annotated[list[str], typer.Option("--admin", help="An admin's account (0x…); give two or more")],
    parent: Annotated[Optional[str], typer.Option("--parent", help="The body it reports to, e.g. subdistrict")] = None,
    emergency: Annotated[bool, typer.Option("--emergency", help="It may declare emergency reads")] = False,
    days: DaysOpt = 7,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Propose admitting a body (POST /bodies/proposals); my body's vote is cast with it. Prints the
    proposal's id for the other bodies' admins to vote on."""
    body = {
        "code": code,
        "name": name,
        "kind": kind,
        "admins": admins,
        "parent": parent,
        "emergency": emergency,
        "days": days,
    }
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", "/bodies/proposals", body))
    print_json(submitted(answer, "BodyProposed", "ProposalVoted", "BodyAdmitted"))


@bodies_app.command("propose-removal")
def bodies_propose_removal(
    code: Annotated[str, typer.Argument(help="The body to remove")],
    days: DaysOpt = 7,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Propose removing an active body (POST /bodies/removals); my body's vote is cast with it."""
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", "/bodies/removals", {"code": code, "days": days}))
    print_json(submitted(answer, "BodyProposed", "ProposalVoted", "BodyRemoved"))


@bodies_app.command("vote")
def bodies_vote(
    proposal: Annotated[int, typer.Argument(help="The proposal's id (ledger bodies list --proposals)", min=0)],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Vote for a proposal for my body (POST /bodies/proposals/{id}/vote); the vote that reaches the quorum
    admits or removes the body."""
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", f"/bodies/proposals/{proposal}/vote"))
    print_json(submitted(answer, "ProposalVoted", "BodyAdmitted", "BodyRemoved"))


@members_app.command("list")
def members_list(api: ApiOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None) -> None:
    """My body's members with their roles, names and posts (GET /bodies/mine/members)."""
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", "/bodies/mine/members")))


@members_app.command("add")
def members_add(
    account: Annotated[str, typer.Argument(help="The new member's account (0x…)")],
    roles: Annotated[list[str], typer.Option("--role", help=f"One of {', '.join(ROLES)}; repeat for several")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Add a member to my body (POST /bodies/mine/members). The role "node" is the body's node account,
    which anchors its trail and signs its requests to other nodes."""
    body = {"account": account, "roles": roles}
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", "/bodies/mine/members", body))
    print_json(submitted(answer, "MemberAdded"))


@members_app.command("remove")
def members_remove(
    account: Annotated[str, typer.Argument(help="The member's account (0x…)")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Remove a member from my body (DELETE /bodies/mine/members/{account}); a body keeps two admins."""
    answer = call(api, keystore, dev_account, lambda c: c.act("DELETE", f"/bodies/mine/members/{account}"))
    print_json(submitted(answer, "MemberRemoved"))


def publish(
    url: Annotated[str, typer.Option("--url", help="The URL other bodies' nodes reach this node at (https://…)")],
    enode: Annotated[
        Optional[str], typer.Option("--enode", help="This body's chain node (ledger consortium keys --body prints it)")
    ] = None,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Publish my body's node addresses in its on-chain profile (PUT /bodies/mine/node): other nodes ask it
    at --url, and --enode joins every node's allowlist at the next regeneration."""
    answer = call(api, keystore, dev_account, lambda c: c.act("PUT", "/bodies/mine/node", {"api": url, "enode": enode}))
    print_json(submitted(answer, "BodyProfileUpdated"))
