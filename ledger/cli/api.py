"""``ledger`` commands that are clients of a body's API: each person signs with their own key.

Sign-in tokens are cached per (API, account) in ``$LEDGER_HOME/sessions/`` (mode 0600) and
renewed when they expire; every chain action is prepared by the API, signed here, and
submitted. Output is JSON on stdout; errors are JSON on stderr with exit status 1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ledger.cli.common import DevAccountOpt, KeystoreOpt, err, fail, out, print_json, run, settings, signer
from ledger.client.api_client import ApiClient, ApiError
from ledger.errors import BadArgument
from ledger.ids import BodyKind

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

ApiOpt = Annotated[
    Optional[str], typer.Option("--api", envvar="LEDGER_API_URL", help="The body's node (default http://127.0.0.1:8000)")
]
FieldsOpt = Annotated[list[str], typer.Option("--field", help="A field name; repeat for several")]
PurposeOpt = Annotated[str, typer.Option("--purpose", help="Purpose code, e.g. subsistence_review")]
DEFAULT_API = "http://127.0.0.1:8000"

emergency_app = typer.Typer(help="Emergency (break-glass) reads: declare, list, review.", no_args_is_help=True)
api_app = typer.Typer(
    help="The local system's nodes (one API process per demo body, each with its own database).", no_args_is_help=True
)


def _session_file(api: str, account: LocalAccount) -> Path:
    safe = api.split("://", 1)[-1].replace("/", "_").replace(":", "_")
    return settings().home / "sessions" / f"{account.address}@{safe}.json"


def client(api: Optional[str], keystore: Optional[Path], dev_account: Optional[int], *, fresh: bool = False) -> ApiClient:
    """A signed-in client of ``api`` as the given account, reusing a cached token while it is valid."""
    account = signer(keystore, dev_account)
    url = (api or DEFAULT_API).rstrip("/")
    c = ApiClient(url, account)
    cache = _session_file(url, account)
    if not fresh and cache.is_file():
        saved = json.loads(cache.read_text())
        if dt.datetime.fromisoformat(saved["expiresAt"]) > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30):
            c.token = saved["accessToken"]
            return c
    login = c.login()
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(cache, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"accessToken": login["accessToken"], "expiresAt": login["expiresAt"]}, f)
    return c


def call(api: Optional[str], keystore: Optional[Path], dev: Optional[int], fn: Any) -> Any:
    def go() -> Any:
        c = client(api, keystore, dev)
        try:
            try:
                return fn(c)
            except ApiError as exc:
                if exc.status != 401:
                    raise
                return fn(client(api, keystore, dev, fresh=True))  # the cached token was refused: sign in again
        except ApiError as exc:
            raise in_words(exc) from None

    return run(go)


#: The API's names of what a person gives, as they gave it at the terminal.
OPTIONS = {
    "fields": "--field",
    "recordId": "the record id",
    "purpose": "--purpose",
    "justification": "--justification",
    "days": "--days",
    "expiresAt": "--until",
    "nationalId": "--national-id",
    "category": "--category",
    "reason": "--reason",
    "outcome": "--outcome",
    "enode": "--enode",
    "api": "--url",
    "account": "the account",
    "roles": "--role",
    "admins": "--admin",
    "code": "the body's code",
    "name": "--name",
    "kind": "--kind",
    "parent": "--parent",
}
FORMS = {
    "recordId": "0x and 64 hex digits, as `ledger find` prints it",
    "account": "0x and 40 hex digits",
    "admins": "0x and 40 hex digits",
    "enode": "enode://, 128 hex digits, @address:port",
    "api": "an http:// or https:// URL",
    "code": "lowercase letters, digits and '-'",
    "parent": "lowercase letters, digits and '-'",
}


def in_words(exc: ApiError) -> ApiError:
    """An API's invalid_request, said with the options the person typed (``--field``, the record id), not
    the names of the request's JSON."""
    fields = exc.body.get("fields")
    if exc.api_code != "invalid_request" or not isinstance(fields, list):
        return exc
    said = []
    for f in fields:
        top = str(f.get("field", "")).split(".")[0]
        option, problem = OPTIONS.get(top, str(f.get("name"))), str(f.get("problem", ""))
        if problem.startswith("List should have at least 1 item"):
            said.append(f"give at least one {option}")
        elif problem.startswith("String should match pattern") and top in FORMS:
            said.append(f"{option} is not in its form ({FORMS[top]})")
        else:
            said.append(f"{option}: {problem[:1].lower()}{problem[1:]}")
    return ApiError(exc.status, {**exc.body, "message": "; ".join(said)})


def _portal_words(lang: str) -> dict[str, str]:
    """The portal's catalogue of ``lang`` (names of categories, fields and purposes), or none if not there."""
    from ledger.toolchain import project_root

    try:
        words = json.loads((project_root() / "api" / "portal" / "static" / "i18n" / f"{lang}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return words if isinstance(words, dict) else {}


def register(app: typer.Typer) -> None:
    """Adds the API client commands to ``app``."""

    @app.command()
    def login(api: ApiOpt = None, keystore: KeystoreOpt = None, dev_account: DevAccountOpt = None) -> None:
        """Sign in to a body's API (Sign-In with Ethereum) and print who the chain says you are."""
        print_json(call(api, keystore, dev_account, lambda c: {**c.me(), "api": c.http.base_url}))

    @app.command()
    def request(
        purpose: PurposeOpt,
        justification: Annotated[str, typer.Option(help="Why (kept off-chain, hashed on-chain)")],
        record: Annotated[Optional[str], typer.Option(help="Record id (scope: one record)")] = None,
        national_id: Annotated[
            Optional[str],
            typer.Option(
                help="Resident (scope: their records of a category); prefer LEDGER_NATIONAL_ID", envvar="LEDGER_NATIONAL_ID"
            ),
        ] = None,
        category: Annotated[Optional[str], typer.Option(help="Category, with --national-id")] = None,
        field: FieldsOpt = [],  # noqa: B006
        post: Annotated[
            Optional[str],
            typer.Option(help="Ask for whoever holds this post at my body (`ledger posts list`), not for me alone"),
        ] = None,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Ask the body behind --api for access to a record's fields, for a purpose. A grant to me is bound to the
        post I hold when I ask, and stops when that post ends."""
        if (record is None) == (national_id is None):
            fail(BadArgument("give --record, or --national-id with --category"))
        body: dict[str, Any] = {"fields": field, "purpose": purpose, "justification": justification}
        if record:
            body.update(scope="record", recordId=record)
        else:
            body.update(scope="subject_category", nationalId=national_id, category=category)
        if post:
            body["post"] = post
        print_json({"requestId": call(api, keystore, dev_account, lambda c: c.request_access(**body))})

    @app.command()
    def catalog(api: ApiOpt = None) -> None:
        """The consortium's categories with their fields, and its purpose codes, each with its name in English
        and Chinese (as the portal shows them): what --category, --field and --purpose take."""

        def go() -> dict[str, Any]:
            found = ApiClient((api or DEFAULT_API).rstrip("/")).request("GET", "/catalog")
            words = {lang: _portal_words(lang) for lang in ("en", "zh-CN")}

            def named(kind: str, code: str) -> dict[str, str]:
                return {"code": code, **{lang: w.get(f"{kind}.{code}", code) for lang, w in words.items()}}

            return {
                "categories": [
                    {
                        **named("category", c["code"]),
                        "requiresConsent": c["requiresConsent"],
                        "fields": [named("field", f) for f in c["fields"]],
                    }
                    for c in found["categories"]
                ],
                "purposes": [named("purpose", p) for p in found["purposes"]],
            }

        print_json(run(go))

    @app.command()
    def find(
        national_id: Annotated[str, typer.Option(help="The resident", envvar="LEDGER_NATIONAL_ID")],
        category: Annotated[Optional[str], typer.Option(help="Only this category")] = None,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Find a resident's records at the body behind --api (ids and metadata, no content)."""
        body = {"nationalId": national_id, **({"category": category} if category else {})}
        print_json(call(api, keystore, dev_account, lambda c: c.request("POST", "/records/search", json=body)))

    @app.command()
    def requests(
        view: Annotated[str, typer.Option(help="mine, pending (made to this body) or all")] = "mine",
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """List access requests."""
        print_json(call(api, keystore, dev_account, lambda c: c.request("GET", "/requests", params={"view": view})))

    @app.command()
    def approve(
        request_id: Annotated[int, typer.Argument(help="The request")],
        days: Annotated[Optional[int], typer.Option(help="Grant for this many days")] = None,
        until: Annotated[Optional[str], typer.Option(help="Or until this ISO date-time (UTC)")] = None,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Approve a pending request (an admin of the custodian)."""
        print_json(
            {"grantId": call(api, keystore, dev_account, lambda c: c.approve(request_id, days=days, expires_at=until))}
        )

    @app.command()
    def deny(
        request_id: Annotated[int, typer.Argument(help="The request")],
        reason: Annotated[str, typer.Option(help="Why (hashed on-chain)")],
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Deny a pending request (an admin of the custodian)."""
        print_json(
            call(api, keystore, dev_account, lambda c: c.act("POST", f"/requests/{request_id}/deny", {"reason": reason}))
        )

    @app.command()
    def grants(
        view: Annotated[str, typer.Option(help="mine (held by my body) or given (by this body)")] = "mine",
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """List grants."""
        print_json(call(api, keystore, dev_account, lambda c: c.request("GET", "/grants", params={"view": view})))

    @app.command()
    def revoke(
        grant_id: Annotated[int, typer.Argument(help="The grant")],
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Revoke a grant (an admin of the custodian); the next read under it is refused."""
        print_json(call(api, keystore, dev_account, lambda c: c.revoke(grant_id)))

    @app.command()
    def read(
        record: Annotated[str, typer.Argument(help="Record id")],
        purpose: PurposeOpt,
        field: FieldsOpt = [],  # noqa: B006
        emergency: Annotated[int, typer.Option(help="My emergency declaration, for a break-glass read")] = 0,
        save: Annotated[Optional[Path], typer.Option("--out", help="Also write the bundle to this file")] = None,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Read granted fields: sign a read request; get the disclosure bundle and the trail receipt."""
        result = call(api, keystore, dev_account, lambda c: c.read(record, field, purpose, emergency_id=emergency))
        if save is not None:
            save.write_text(json.dumps(result["bundle"], indent=2))
            err.print(f"bundle written to {save}; check it with `ledger records verify {save}`")
        print_json(result)

    @app.command()
    def consent(
        grant_id: Annotated[int, typer.Argument(help="The grant")],
        give: Annotated[bool, typer.Option("--give/--refuse", help="Give or refuse consent")] = True,
        national_id: Annotated[
            Optional[str], typer.Option(help="Committee members: the resident", envvar="LEDGER_NATIONAL_ID")
        ] = None,
        evidence: Annotated[Optional[str], typer.Option(help="Committee members: the evidence")] = None,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Give or refuse consent under a grant: the resident with their own key, or their committee."""
        body: dict[str, Any] = {"grantId": grant_id, "given": give}
        if national_id:
            body.update(nationalId=national_id, evidence=evidence)
        print_json(call(api, keystore, dev_account, lambda c: c.act("POST", "/consent", body)))

    @app.command()
    def trail(
        code: Annotated[Optional[str], typer.Option(help="A resident's access code (no account needed)")] = None,
        code_file: Annotated[
            Optional[Path],
            typer.Option(
                "--code-file",
                help="Read the access code from this file (as `access-code --save` writes it): "
                "it stays out of shell history",
            ),
        ] = None,
        subject: Annotated[Optional[str], typer.Option(help="Auditors: one subject id")] = None,
        mine: Annotated[bool, typer.Option("--mine", help="My own trail, as a resident")] = False,
        consortium: Annotated[
            bool,
            typer.Option(
                "--consortium",
                help="With --code or --mine, at the resident's committee's node: the reads at "
                "every body's node, merged newest first",
            ),
        ] = False,
        bundle: Annotated[
            Optional[Path],
            typer.Option(
                "--bundle",
                help="Save the trail bundle (events, proofs, anchors, signed head; one per node with "
                "--consortium) here, for `ledger verify trail`",
            ),
        ] = None,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Show an access trail: by access code, my own (resident), or the whole or one subject's (auditors)."""
        if code_file is not None:
            try:
                code = code_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                fail(BadArgument(f"cannot read the access code from {code_file}: {exc.strerror}"))
        if bundle is not None and code is None and not mine and subject is None:
            fail(BadArgument("--bundle needs --code, --code-file, --mine or --subject"))
        if consortium and code is None and not mine:
            fail(BadArgument("--consortium needs --code, --code-file or --mine (a resident's trail)"))
        more = "/consortium" if consortium else ""

        def saved(data: Any) -> None:
            assert bundle is not None
            bundle.write_text(json.dumps(data, indent=2) + "\n")
            err.print(f"trail bundle written to {bundle}; check it with `ledger verify trail {bundle}`")

        if code is not None:
            client = ApiClient((api or DEFAULT_API).rstrip("/"))
            if bundle is not None:
                saved(run(lambda: client.request("POST", f"/trail/by-code{more}/bundle", json={"code": code})))
            print_json(run(lambda: client.request("POST", f"/trail/by-code{more}", json={"code": code})))
            return
        params = {"subjectId": subject} if subject else {}
        path = f"/trail/mine{more}" if mine else "/trail"
        if bundle is not None:
            saved(
                call(
                    api,
                    keystore,
                    dev_account,
                    lambda c: c.request("GET", path + "/bundle" if mine else "/trail/bundle", params=params),
                )
            )
        print_json(call(api, keystore, dev_account, lambda c: c.request("GET", path, params=params)))

    @app.command("access-code")
    def access_code(
        national_id: Annotated[str, typer.Option(help="The resident", envvar="LEDGER_NATIONAL_ID")],
        save: Annotated[
            Optional[Path],
            typer.Option(
                "--save",
                help="Also write the code alone to this file (mode 0600), to hand over or to use with `trail --code-file`",
            ),
        ] = None,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Issue a resident's access code to their trail (committee officers and admins); shown once."""
        issued = call(
            api, keystore, dev_account, lambda c: c.request("POST", "/trail/codes", json={"nationalId": national_id})
        )
        if save is not None:
            fd = os.open(save, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(issued["code"] + "\n")
            err.print(f"access code written to {save}")
        print_json(issued)

    @emergency_app.command("declare")
    def emergency_declare(
        record: Annotated[str, typer.Argument(help="Record id")],
        reason: Annotated[str, typer.Option(help="Mandatory reason (hashed on-chain)")],
        field: FieldsOpt = [],  # noqa: B006
        purpose: Annotated[
            str, typer.Option(help="The purpose code every read under the declaration carries")
        ] = "emergency_response",
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Declare an emergency read (members with the emergency role), for one purpose; then
        `ledger read --emergency ID --purpose P` with that purpose."""
        print_json(
            {
                "emergencyId": call(
                    api, keystore, dev_account, lambda c: c.declare_emergency(record, field, reason, purpose=purpose)
                )
            }
        )

    @emergency_app.command("list")
    def emergency_list(
        unreviewed: Annotated[bool, typer.Option("--unreviewed")] = False,
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Emergency reads of this body's records."""
        print_json(
            call(api, keystore, dev_account, lambda c: c.request("GET", "/emergencies", params={"unreviewed": unreviewed}))
        )

    @emergency_app.command("review")
    def emergency_review(
        emergency_id: Annotated[int, typer.Argument()],
        justified: Annotated[bool, typer.Option("--justified/--unjustified")] = True,
        outcome: Annotated[str, typer.Option(help="The finding (hashed on-chain)")] = "reviewed",
        api: ApiOpt = None,
        keystore: KeystoreOpt = None,
        dev_account: DevAccountOpt = None,
    ) -> None:
        """Review an emergency read (an admin of the custodian)."""
        print_json(
            call(
                api,
                keystore,
                dev_account,
                lambda c: c.act("POST", f"/emergencies/{emergency_id}/review", {"justified": justified, "outcome": outcome}),
            )
        )

    app.add_typer(emergency_app, name="emergency")
    app.add_typer(api_app, name="api")


#: Every demo body's node gets a port from --port on, in :func:`ledger.local.demo.node_bodies`' order.
@api_app.command("up")
def api_up(
    port: Annotated[int, typer.Option(help="Port of the first body's node (rc-east); the others follow")] = 8000,
) -> None:
    """Start every demo body's node (API and portal, its own database) in the background and publish each
    node's address in the registry, where the other nodes find it (idempotent)."""
    from rich.table import Table

    from ledger.chain.deploy import Contracts
    from ledger.local import demo
    from ledger.local.api_processes import ApiProcess
    from ledger.local.devkeys import DEV_ACCOUNTS, dev_account
    from ledger.local.system import open_chain

    home = settings().home
    infos = [run(partial(ApiProcess(home, body).up, port + i)) for i, body in enumerate(demo.node_bodies())]
    urls = {info.body: info.url for info in infos}
    run(lambda: demo.publish_endpoints(Contracts.of(open_chain(settings())), urls))
    apis = Table("body", "portal (browser)", "API docs", "log", title="Nodes (stop with `ledger api down`)")
    for info in infos:
        apis.add_row(info.body, info.url + "/", info.url + "/docs", info.log)
    out.print(apis)
    names = demo.keystore_names()
    people = Table(
        "body",
        "role",
        "account",
        "portal: keystore",
        title="Sign in as a demo role (WELL-KNOWN DEV KEYS: local use only)",
        caption=f"Portal keystore files are in {home / 'keystores'} (password: demo). Everyone works at "
        "their own body's node; a node forwards what concerns another body's records to that "
        "body's node.",
    )
    index = {str(dev_account(i).address): i for i in range(DEV_ACCOUNTS)}
    ledger = shlex.quote(str(Path(sys.argv[0]).resolve())) if Path(sys.argv[0]).name == "ledger" else "ledger"
    lines = []
    for body, _kind, role, account in demo.summary_rows():
        if role != "node":
            i = index[account]
            people.add_row(body, role, account, f"{names[i]}.json")
            lines.append(f"{ledger} login --api {urls[body]} --dev-account {i}   # {body} {role}")
    out.print(people)
    out.print("At the command line, each role signs in with (one line each, as they are):")
    for line in lines:
        out.print(line, highlight=False, soft_wrap=True, markup=False)
    committees = [b.code for b in demo.BODIES if b.kind == BodyKind.RESIDENTS_COMMITTEE]
    out.print(
        "Residents: open their committee's portal ("
        + " or ".join(f"{urls[c]}/resident" for c in committees)
        + ") with the access code a committee officer issues there (Officers page); it shows the reads of "
        "their data at every body's node."
    )


@api_app.command("down")
def api_down() -> None:
    """Stop the local system's API processes."""
    from ledger.local import demo
    from ledger.local.api_processes import ApiProcess

    home = settings().home
    stopped = [b for b in demo.node_bodies() if ApiProcess(home, b).down()]
    out.print(f"stopped: {', '.join(stopped) or 'none was running'}")


@api_app.command("status")
def api_status() -> None:
    """Which APIs of the local system run, and where."""
    from ledger.local import demo
    from ledger.local.api_processes import ApiProcess

    home = settings().home
    print_json(
        [
            {"body": b, "url": i.url if i else None, "running": i is not None}
            for b in demo.node_bodies()
            for i in [ApiProcess(home, b).running()]
        ]
    )
