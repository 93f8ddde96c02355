"""``ledger watchdog``: the watchdog's alerts over the trail, and an auditor's review of one.

Clients of ``GET /watchdog/alerts`` and ``POST /watchdog/alerts/{id}/review`` at the person's own body's
node; ``--consortium`` at the auditor body's node covers every node's trail.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli.api import ApiOpt, call
from ledger.cli.common import DevAccountOpt, KeystoreOpt, fail, print_json
from ledger.cli.governance import submitted
from ledger.errors import BadArgument, NotFound

watchdog_app = typer.Typer(
    help="Alerts the watchdog raises over the trail (auditors; a body's admins see their node's), and reviews.",
    no_args_is_help=True,
)

ConsortiumOpt = Annotated[
    bool, typer.Option("--consortium", help="Every node's trail (at the auditor body's node) instead of this node's")
]


@watchdog_app.command("alerts")
def alerts(
    consortium: ConsortiumOpt = False,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Alerts of the last days, today included")] = 14,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """The alerts, each with its rule, period, events and state (GET /watchdog/alerts)."""
    params = {"days": str(days), "scope": "consortium" if consortium else "node"}
    print_json(call(api, keystore, dev_account, lambda c: c.request("GET", "/watchdog/alerts", params=params)))


@watchdog_app.command("review")
def review(
    alert_id: Annotated[str, typer.Argument(help="The alert's id (0x…, from `ledger watchdog alerts`)")],
    verdict: Annotated[str, typer.Option("--verdict", help="acknowledged (no misuse) or escalated")],
    note: Annotated[str, typer.Option("--note", help="Why; kept at this node, its salted hash on-chain")],
    consortium: ConsortiumOpt = False,
    api: ApiOpt = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Acknowledge or escalate an alert over the events it names now (POST /watchdog/alerts/{id}/review)."""
    if verdict not in ("acknowledged", "escalated"):
        fail(BadArgument(f"--verdict is acknowledged or escalated, not {verdict!r}"))
    scope = "consortium" if consortium else "node"

    def act(c: Any) -> Any:
        shown = c.request("GET", "/watchdog/alerts", params={"days": "366", "scope": scope})["alerts"]
        alert = next((a for a in shown if a["id"] == alert_id.lower()), None)
        if alert is None:
            raise NotFound(
                f"no alert {alert_id} is raised here ({scope}); see `ledger watchdog alerts`", error="UnknownAlert"
            )
        body = {"verdict": verdict, "note": note, "eventsHash": alert["eventsHash"], "scope": scope}
        return c.act("POST", f"/watchdog/alerts/{alert_id}/review", body)

    print_json(submitted(call(api, keystore, dev_account, act), "AlertReviewed"))
