"""``ledger seals``: covert reads sealed for a bounded time, at the person's own body's node.

Clients of ``/seals``: a sealing body's officer seals its grant's or emergency's reads and releases them; an
oversight body's officer extends a seal; auditors see how many reads each body hides and for how long.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer

from ledger.cli.api import ApiOpt, call
from ledger.cli.common import DevAccountOpt, KeystoreOpt, fail, print_json
from ledger.cli.governance import submitted
from ledger.errors import BadArgument

seals_app = typer.Typer(
    help="Seals over covert reads: hidden from the resident for at most 90 days, extended only by an oversight body.",
    no_args_is_help=True,
)

UntilOpt = Annotated[
    str, typer.Option("--until", help="When it ends: a date (2027-03-01, UTC midnight), or +N for N days from now")
]


def _until(text: str) -> int:
    """A Unix time from ``2027-03-01`` (midnight UTC) or ``+30`` (days from now)."""
    try:
        if text.startswith("+"):
            return int(time.time() + float(text[1:]) * 86_400)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadArgument(f"--until is a date (YYYY-MM-DD) or +DAYS, not {text!r}") from None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


@seals_app.command("list")
def seals_list(api: ApiOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None) -> None:
    """The seals I may see, with their states and ages (GET /seals)."""
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", "/seals")))


@seals_app.command("stats")
def seals_stats(api: ApiOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None) -> None:
    """Per sealing body: seals in force, their ages and the reads they hide (GET /seals/stats; auditors)."""
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", "/seals/stats")))


@seals_app.command("place")
def seals_place(
    until: UntilOpt,
    case: Annotated[str, typer.Option("--case", help="The case reference; kept at this node, its salted hash on-chain")],
    grant: Annotated[int | None, typer.Option("--grant", min=1, help="Seal the reads of this grant of my body")] = None,
    emergency: Annotated[
        int | None, typer.Option("--emergency", min=1, help="Seal this emergency declaration of my body and its reads")
    ] = None,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Seal a grant's or emergency's reads until at most 90 days from now (POST /seals)."""
    if (grant is None) == (emergency is None):
        fail(BadArgument("name what to seal: --grant N or --emergency N"))
    target, target_id = ("grant", grant) if grant is not None else ("emergency", emergency)
    try:
        body = {"target": target, "targetId": target_id, "caseReference": case, "until": _until(until)}
    except BadArgument as exc:
        fail(exc)
    print_json(submitted(call(api, keystore, dev_account, lambda c: c.act("POST", "/seals", body)), "Sealed"))


@seals_app.command("extend")
def seals_extend(
    seal_id: Annotated[int, typer.Argument(min=1, help="The seal's number (from `ledger seals list`)")],
    until: UntilOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it stays sealed; kept at this node, hashed on-chain")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Extend a seal by at most 90 days past its end (POST /seals/{id}/extend; an oversight body)."""
    try:
        body = {"until": _until(until), "reason": reason}
    except BadArgument as exc:
        fail(exc)
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", f"/seals/{seal_id}/extend", body))
    print_json(submitted(answer, "SealExtended"))


@seals_app.command("release")
def seals_release(
    seal_id: Annotated[int, typer.Argument(min=1, help="The seal's number")],
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """End my body's seal now: its reads are shown to their residents and told (POST /seals/{id}/release)."""
    answer = call(api, keystore, dev_account, lambda c: c.act("POST", f"/seals/{seal_id}/release", None))
    print_json(submitted(answer, "SealReleased"))
