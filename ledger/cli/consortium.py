"""``ledger consortium``: the Besu QBFT network of one node per body, generated from node-config/consortium.toml."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ledger.cli.common import DevAccountOpt, KeystoreOpt, fail, out, print_json, run
from ledger.errors import BadArgument

if TYPE_CHECKING:
    from ledger.network.besu import Consortium, NodeKey
    from ledger.network.registry import Allowlists

consortium_app = typer.Typer(
    help="The production network: Besu QBFT genesis, node configs, allowlists from the "
    "on-chain registry, node keys, compose file (node-config/); and the audit of every "
    "body's node.",
    no_args_is_help=True,
)

FileOpt = Annotated[Path, typer.Option("--file", help="The consortium file")]
KeysOpt = Annotated[Path, typer.Option("--keys", help="Folder of the node keys (kept out of git)")]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder the network's files are written to")]
RpcOpt = Annotated[
    Optional[str],
    typer.Option(
        "--rpc",
        help="A node of the network: allowlists from its "
        "BodyRegistry, at the addresses of the deployment's "
        "manifest (LEDGER_HOME or LEDGER_MANIFEST); default: the "
        "file's bootstrap entries",
    ),
]
AUDIT_WAIT = 1800.0  # seconds the consortium audit may take (each node audits itself; 1M events ≈ 2 min)
FILE, KEYS, OUT = Path("node-config/consortium.toml"), Path("node-config/keys"), Path("node-config/network")


BodyOpt = Annotated[Optional[str], typer.Option("--body", help="Only this body (its own machine)")]


@consortium_app.command("init")
def init(
    file: FileOpt = FILE,
    empty: Annotated[bool, typer.Option("--empty", help="No bodies yet: add them with `ledger consortium add`")] = False,
    chain_id: Annotated[int, typer.Option("--chain-id", min=1, help="The chain's id (with --empty)")] = 2026,
    bootstrap: Annotated[
        Optional[list[str]],
        typer.Option("--bootstrap-account", help="May transact before the registry exists: the deployer (with --empty)"),
    ] = None,
) -> None:
    """Write the consortium file unless one is there: the demo's bodies, or with --empty the network alone."""
    from ledger.network.besu import demo_file, empty_file, load

    def go() -> dict[str, object]:
        created = not file.exists()
        if created:
            text = empty_file(chain_id, bootstrap or []) if empty else demo_file()
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text)
            try:
                load(file, complete=False)
            except BadArgument:
                file.unlink()
                raise
        c = load(file, complete=False)
        return {
            "file": str(file),
            "created": created,
            "bodies": [b.code for b in c.bodies],
            "validators": [b.code for b in c.validators],
        }

    print_json(run(go))


@consortium_app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="The body's code, as on-chain (e.g. rc-east)")],
    host: Annotated[str, typer.Option("--host", help="Its machine's IP address, which the other bodies reach")],
    node_key: Annotated[
        Optional[str],
        typer.Option("--node-key", help="Its Besu node's public key (`keys --body` prints it); not for this machine's own"),
    ] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Its name")] = None,
    validator: Annotated[bool, typer.Option("--validator", help="It runs a QBFT validator")] = False,
    file: FileOpt = FILE,
) -> None:
    """Add a body to the consortium file (its address and node key; no secret of it)."""
    from ledger.network.besu import body_entry, load

    def go() -> dict[str, object]:
        before = file.read_text() if file.exists() else None
        if before is None:
            raise BadArgument(f"no consortium file at {file} (ledger consortium init --empty writes one)")
        file.write_text(before.rstrip("\n") + "\n\n" + body_entry(code, name or code, validator, host, node_key))
        try:
            c = load(file, complete=False)
        except BadArgument:
            file.write_text(before)  # a refused entry leaves the file as it was
            raise
        return {"file": str(file), "bodies": [b.code for b in c.bodies], "validators": [b.code for b in c.validators]}

    print_json(run(go))


@consortium_app.command("keys")
def keys(file: FileOpt = FILE, keys_dir: KeysOpt = KEYS, body: BodyOpt = None) -> None:
    """Create the Besu node keys where missing (0600): every body's, or with --body this machine's body's
    alone (no consortium file needed yet); print each node's address, public key (the file's node-key)
    and, once the file gives its host, its enode."""
    from ledger.network.besu import load, write_key, write_keys

    def go() -> dict[str, object]:
        if body is not None:
            c = load(file, complete=False) if file.exists() else None
            entry = next((b for b in c.bodies if b.code == body), None) if c else None
            key = write_key(keys_dir, body, entry.node_key if entry else None)
            return {
                body: {
                    "address": key.address,
                    "nodeKey": key.public_hex,
                    **({"enode": key.enode(entry.host), "validator": entry.validator} if entry else {}),
                }
            }
        c = load(file, complete=False)
        made = write_keys(c, keys_dir)
        return {
            b.code: {
                "address": made[b.code].address,
                "nodeKey": made[b.code].public_hex,
                "enode": made[b.code].enode(b.host),
                "validator": b.validator,
            }
            for b in c.bodies
        }

    print_json(run(go))


@consortium_app.command("enode")
def enode(
    body: Annotated[str, typer.Option("--body", help="The body, as in the consortium file")],
    file: FileOpt = FILE,
    keys_dir: KeysOpt = KEYS,
) -> None:
    """Print a body's enode URL (its node key at its host address): what `ledger node publish --enode` takes."""
    from ledger.network.besu import load, read_keys

    def go() -> str:
        c = load(file, complete=False)
        return read_keys(c, keys_dir)[c.body(body).code].enode(c.body(body).host)

    out.print(run(go), highlight=False, soft_wrap=True)


@consortium_app.command("genesis")
def genesis(file: FileOpt = FILE, keys_dir: KeysOpt = KEYS, out_dir: OutOpt = OUT) -> None:
    """Write the QBFT genesis.json (validators: the validator bodies' node addresses); send it to every body."""
    from ledger.network.besu import genesis_json, load, read_keys

    def go() -> dict[str, object]:
        c = load(file)
        text = genesis_json(c, read_keys(c, keys_dir))
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "genesis.json").write_text(text)
        return {"genesis": str(out_dir / "genesis.json"), "extraData": json.loads(text)["extraData"]}

    print_json(run(go))


@consortium_app.command("allowlists")
def allowlists(
    file: FileOpt = FILE, keys_dir: KeysOpt = KEYS, out_dir: OutOpt = OUT, rpc: RpcOpt = None, body: BodyOpt = None
) -> None:
    """Write the Besu config.toml and permissions_config.toml of every body (or with --body of one); with
    --rpc, the allowlists are the active bodies' members and published nodes as the chain's BodyRegistry
    holds them (run it after deploying, after each vote and each member change, then reload them)."""
    from ledger.network.besu import load, read_keys
    from ledger.network.compose import write_node_files

    def go() -> dict[str, object]:
        c = load(file)
        k = read_keys(c, keys_dir)
        lists = _lists(c, k, rpc)
        for b in [c.body(body)] if body else c.bodies:
            write_node_files(c, k, out_dir, b, lists)
        return _listed(out_dir, rpc, lists)

    print_json(run(go))


def _listed(out_dir: Path, rpc: str | None, lists: Allowlists) -> dict[str, object]:
    return {
        "out": str(out_dir),
        "source": "registry" if rpc else "bootstrap",
        "accounts": list(lists.accounts),
        "nodes": list(lists.nodes),
        "unreadableEndpoints": list(lists.unreadable),
    }


def _lists(c: Consortium, k: Mapping[str, NodeKey], rpc: str | None) -> Allowlists:
    """The registry's allowlists when ``rpc`` names a node (plus the bootstrap accounts and the validators,
    which must stay connected), else the bootstrap ones."""
    from ledger.network.besu import bootstrap_allowlists, enodes

    if not rpc:
        return bootstrap_allowlists(c, k)
    from ledger.chain.deploy import Contracts
    from ledger.cli.common import settings
    from ledger.local.system import open_chain
    from ledger.network.registry import from_registry

    return from_registry(
        Contracts.of(open_chain(settings(rpc_url=rpc))),
        accounts=c.bootstrap_accounts,
        nodes=tuple(enodes(c, k, c.validators)),
    )


@consortium_app.command("compose")
def compose(
    file: FileOpt = FILE,
    keys_dir: KeysOpt = KEYS,
    out_dir: OutOpt = OUT,
    body: Annotated[
        Optional[str], typer.Option("--body", help="Write this body's own compose file, for its own machine")
    ] = None,
    url: Annotated[
        Optional[str],
        typer.Option("--url", help="With --body: the URL other nodes reach its node at (default http://HOST:8000)"),
    ] = None,
    rpc_bind: Annotated[
        str, typer.Option("--rpc-bind", help="With --body: the address its JSON-RPC port is published on")
    ] = "127.0.0.1",
) -> None:
    """Write the compose file of every body on this host (compose.yaml), or with --body that body's own:
    its Besu node (P2P published), PostgreSQL and Civic Ledger node, with its Besu files, its folders and,
    unless they exist, its secrets (ledger.env from LEDGER_KEK_PASSWORD, LEDGER_KEYSTORE_PASSWORD and
    LEDGER_CONSORTIUM_SECRET; .env with a new database password)."""
    from ledger.network.besu import API_PORT, load, read_keys
    from ledger.network.compose import write_body, write_network

    def go() -> dict[str, object]:
        c = load(file)
        k = read_keys(c, keys_dir)
        lists = _lists(c, k, None)
        if body is None:
            return {"written": [str(p) for p in write_network(c, k, out_dir, keys_dir, lists, os.environ)]}
        b = c.body(body)
        if c.single_host:
            raise BadArgument(f"{file} gives no body its host address: a body's own machine needs them (`add --host`)")
        if not (keys_dir / b.code / "key").exists():
            raise BadArgument(f"{b.code}'s node key is not on this machine ({keys_dir / b.code}): run it on {b.code}'s")
        if (out_dir / b.code / "permissions_config.toml").exists():  # keep the allowlists regenerated since
            lists = _read_allowlists(out_dir / b.code / "permissions_config.toml")
        return write_body(
            c,
            k,
            out_dir,
            keys_dir,
            b,
            lists,
            url=url or f"http://{b.host}:{API_PORT}",
            rpc_bind=rpc_bind,
            environ=os.environ,
        )

    print_json(run(go))


def _read_allowlists(path: Path) -> Allowlists:
    import tomllib

    from ledger.network.registry import Allowlists

    data = tomllib.loads(path.read_text())
    return Allowlists(tuple(data.get("accounts-allowlist", [])), tuple(data.get("nodes-allowlist", [])), ())


@consortium_app.command("generate")
def generate(file: FileOpt = FILE, keys_dir: KeysOpt = KEYS, out_dir: OutOpt = OUT, rpc: RpcOpt = None) -> None:
    """Every body on this host: init, keys, genesis, allowlists and compose in one go (each keeps what
    exists where it should: keys, database passwords)."""
    from ledger.network.besu import demo_file, load, write_keys
    from ledger.network.compose import write_network

    def go() -> dict[str, object]:
        if not file.exists():
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(demo_file())
        c = load(file)
        k = write_keys(c, keys_dir)
        lists = _lists(c, k, rpc)
        return {"written": [str(p) for p in write_network(c, k, out_dir, keys_dir, lists, os.environ)]}

    print_json(run(go))


@consortium_app.command("deploy")
def deploy(
    rpc: Annotated[str, typer.Option("--rpc", help="This machine's Besu node (its JSON-RPC URL)")],
    founder: Annotated[str, typer.Option("--founder", help="The founding body's code, as in the consortium file")],
    founder_name: Annotated[str, typer.Option("--founder-name", help="Its public name (hashed on-chain)")],
    founder_kind: Annotated[
        str, typer.Option("--founder-kind", help="residents_committee, subdistrict_office, department, auditor")
    ],
    admin_keystore: Annotated[
        Path, typer.Option("--admin-keystore", help="A founding admin's keystore: adds the node account")
    ],
    admins: Annotated[list[str], typer.Option("--admin", help="The other founding admins' accounts (0x…)")],
    node_account: Annotated[str, typer.Option("--node-account", help="The founder's node account (0x…)")],
    keystore: Annotated[Path, typer.Option("--keystore", help="The deployer's keystore (a bootstrap account)")],
    quorum_bps: Annotated[int, typer.Option("--quorum-bps", min=1, max=10_000, help="Votes to admit or remove")] = 5001,
    file: FileOpt = FILE,
    keys_dir: KeysOpt = KEYS,
    out_dir: OutOpt = OUT,
) -> None:
    """Deploy the contracts on the consortium's chain (once, by the founding body): the founder with its
    admins, its node account added by the first admin (the deployer relays it: no one else may transact
    yet), the manifest in LEDGER_HOME, and the founder's allowlists regenerated from the registry."""
    from eth_utils import is_address, to_checksum_address

    from ledger.chain.bodies import BodyProfile
    from ledger.chain.deploy import Contracts
    from ledger.chain.deploy import deploy as do_deploy
    from ledger.cli.common import settings, signer
    from ledger.ids import BodyKind, Role, code_id, text_hash
    from ledger.local.system import open_chain
    from ledger.network.besu import load, read_keys
    from ledger.network.compose import write_node_files

    def go() -> dict[str, object]:
        c = load(file)
        b = c.body(founder)
        try:
            kind = BodyKind[founder_kind.upper()]
        except KeyError:
            raise BadArgument(f"--founder-kind {founder_kind!r} is none of {[k.name.lower() for k in BodyKind]}") from None
        bad = [a for a in [*admins, node_account] if not is_address(a)]
        if bad:
            raise BadArgument(f"not an account (0x and 40 hex): {bad}")
        s = settings(rpc_url=rpc)
        deployer, first = signer(keystore, None), signer(admin_keystore, None)
        founders: list[str] = [first.address, *(str(to_checksum_address(a)) for a in admins)]
        if len(set(founders)) < 2:
            raise BadArgument("the founder needs two admins: --admin-keystore and at least one --admin")
        chain = open_chain(s, with_manifest=False)
        m = do_deploy(
            chain,
            deployer,
            founder=code_id(b.code),
            founder_profile=BodyProfile(kind, name_hash=text_hash(founder_name)),
            founder_admins=founders,
            quorum_bps=quorum_bps,
            rpc_url=rpc,
        )
        m.save(s.manifest_path, chain.build.abis())
        contracts = Contracts.of(chain)
        contracts.bodies.add_member(chain.relayed(first, deployer), to_checksum_address(node_account), Role.ANCHOR)
        k = read_keys(c, keys_dir)
        lists = _lists(c, k, rpc)
        write_node_files(c, k, out_dir, b, lists)
        return {
            "manifest": str(s.manifest_path),
            "deployBlock": m.deploy_block,
            "contracts": m.contracts,
            "allowlists": _listed(out_dir, rpc, lists),
        }

    print_json(run(go))


@consortium_app.command("extradata")
def extradata(addresses: Annotated[list[str], typer.Argument(help="Validator addresses (0x…), in order")]) -> None:
    """Print the QBFT genesis extraData (0x hex) for these validators, as Besu's generate-blockchain-config
    writes it: 32 zero bytes of vanity, the validators, no vote, round 0, no seals."""
    from ledger.network.qbft import genesis_extra_data

    out.print(run(lambda: genesis_extra_data(addresses)), highlight=False, soft_wrap=True)


@consortium_app.command("audit")
def audit(
    api: Annotated[
        Optional[str],
        typer.Option("--api", envvar="LEDGER_API_URL", help="The auditor body's own node (default http://127.0.0.1:8000)"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or html")] = "json",
    save: Annotated[Optional[Path], typer.Option("--out", help="Also write the report to this file")] = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Audit every body's node (auditors, at their own node): each node audits itself and signs the result;
    the auditor's node checks each against the chain and answers one report. Exits 1 unless it passed."""
    from ledger.cli.api import call

    if fmt not in ("json", "html"):
        fail(BadArgument("--format is json or html"))

    def ask(c: Any) -> Any:
        c.http.close()
        c.http.timeout = AUDIT_WAIT  # every node audits itself first
        return c.request("POST", "/audit/consortium", params={"format": fmt})

    answer = call(api, keystore, dev_account, ask)
    if fmt == "html":
        if save is not None:
            save.write_text(answer)
        sys.stdout.write(answer)
        return
    if save is not None:
        save.write_text(json.dumps(answer, indent=2) + "\n")
    print_json(answer)
    if not answer.get("ok"):
        raise typer.Exit(1)
