"""docs/CONSORTIUM.md, run as written: every `sh` block, in order, on the machine its `# on:` line names.

Each body's "machine" is a folder of its own (a home with the checkout at ~/civic-ledger, its own
node-config/, keys and node home) and a shell whose exports carry over between its blocks. Only the
network is stood in for: `docker compose up besu db` is one anvil (the chain every machine's
127.0.0.1:8545 reaches), `docker compose up ledger` runs the compose file's ledger service as a
process (its environment, env_file and volumes as written, the database SQLite in its home), and
`scp HOST:path` copies into the machine at HOST. 10.0.0.N:8000 is machine N's node on a free port.

A command that fails, a compose file whose ledger service does not start, or allowlists that leave
out an account that transacted, fail the test: the page and the commands must agree."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Cli
from tests.support import free_port, free_port_run

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "CONSORTIUM.md"
MACHINES = {"subdistrict": "10.0.0.1", "rc-east": "10.0.0.2", "civil-affairs": "10.0.0.3"}
ADMIN_PASSWORD = "an admin's password, typed at the prompt"


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """The page's `sh` blocks: (machine, commands), continuation lines joined."""
    found, inside, lines = [], False, []
    for line in text.splitlines():
        if line.startswith("```"):
            if inside:
                assert lines and lines[0].startswith("# on: "), f"an sh block does not say where it runs: {lines[:1]}"
                found.append((lines[0].removeprefix("# on: ").strip(), _commands(lines[1:])))
            inside, lines = line.strip() == "```sh", []
            continue
        if inside:
            lines.append(line)
    return found


def _commands(lines: list[str]) -> list[str]:
    out, current = [], ""
    for line in lines:
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            if current.strip() and not current.lstrip().startswith("#"):
                out.append(current.strip())
            current = ""
    return out


FAKE_DOCKER = textwrap.dedent(
    '''
    """docker, for the runbook test: `compose -f F up -d SERVICES` and `build` (see test_runbook.py)."""
    import json, os, subprocess, sys, time, urllib.request
    from pathlib import Path

    args = sys.argv[1:]
    if args[:1] == ["build"]:
        sys.exit(0)
    assert args[:2] == ["compose", "-f"] and args[3:5] == ["up", "-d"], args
    file = Path(args[2]).resolve()
    compose = json.loads(file.read_text().split("\\n", 1)[1])
    here = file.parent
    addresses = json.loads(os.environ["FAKE_ADDRESSES"])

    def mapped(value):
        for address, local in addresses.items():
            value = value.replace(address, local)
        return value

    for name in args[5:]:
        service = compose["services"][name]
        mounts = {}
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                path = (here / source).resolve()
                if not path.exists():
                    sys.exit(f"{name}: {volume}: {path} does not exist")
                mounts[target] = str(path)
        if name != "ledger":
            continue
        env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
        for env_file in service.get("env_file", []):
            for line in (here / env_file).read_text().splitlines():
                if line and not line.startswith("#"):
                    key, _, value = line.partition("=")
                    env[key] = value
        for key, value in service["environment"].items():
            for target, source in mounts.items():
                value = value.replace(target, source)
            env[key] = mapped(value)
        env["LEDGER_RPC_URL"] = os.environ["FAKE_CHAIN_URL"]
        env.pop("DATABASE_URL")  # SQLite in the node's home, instead of the db service
        env["LEDGER_ROOT"] = os.environ["FAKE_CHECKOUT"]
        assert service["ports"] == ["8000:8000"], service["ports"]  # this machine's 8000: FAKE_API_PORT
        port = os.environ["FAKE_API_PORT"]
        command = service["command"]
        assert command[:4] == ["ledger", "serve", "--host", "0.0.0.0"], command
        command = ["ledger", "serve", "--host", "127.0.0.1", "--port", port]
        log = open(Path(os.environ["FAKE_LOGS"]) / f"{env['LEDGER_BODY']}.log", "ab")
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True, cwd=env["LEDGER_ROOT"])
        (Path(os.environ["FAKE_LOGS"]) / f"{env['LEDGER_BODY']}.pid").write_text(str(proc.pid))
        for _ in range(240):
            if proc.poll() is not None:
                sys.exit(f"the ledger service exited ({proc.returncode}); see its log")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers: degraded is still up
            except OSError:
                time.sleep(0.25)
        else:
            sys.exit("the ledger service did not answer in a minute")
    '''
)

FAKE_SCP = textwrap.dedent(
    '''
    """scp, for the runbook test: HOST:path is machine HOST's home."""
    import json, os, shutil, sys
    from pathlib import Path

    *sources, dest = sys.argv[1:]
    host, _, path = dest.partition(":")
    homes = json.loads(os.environ["FAKE_HOMES"])
    target = Path(homes[host]) / path
    for source in sources:
        to = target / Path(source).name if path.endswith("/") or target.is_dir() else target
        to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, to)
    '''
)


def _machine(tmp: Path, code: str) -> Path:
    """A home with the checkout at ~/civic-ledger: the repository's files, its own node-config/."""
    checkout = tmp / code / "home" / "civic-ledger"
    checkout.mkdir(parents=True)
    for entry in ROOT.iterdir():
        if entry.name in ("node-config", ".git", ".ledger") or entry.name.startswith(".pytest"):
            continue
        (checkout / entry.name).symlink_to(entry)
    (checkout / "node-config").mkdir()
    for name in ("Dockerfile", "README.md"):
        (checkout / "node-config" / name).symlink_to(ROOT / "node-config" / name)
    return checkout


def test_the_consortium_runbook_runs_as_written(tmp_path: Path) -> None:
    page = blocks(PAGE.read_text(encoding="utf-8"))
    assert {m for m, _ in page} == {*MACHINES, "every body"}
    chain = Cli(tmp_path / "chain-home", free_port())
    chain("node", "up")
    ports = {code: free_port_run(1) for code in MACHINES}
    bin_dir, logs = tmp_path / "bin", tmp_path / "logs"
    bin_dir.mkdir()
    logs.mkdir()
    for name, source in (("docker", FAKE_DOCKER), ("scp", FAKE_SCP)):
        (bin_dir / name).write_text(f"#!{sys.executable}\n{source}")
        (bin_dir / name).chmod(0o755)
    addresses = {f"{ip}:8000": f"127.0.0.1:{ports[code]}" for code, ip in MACHINES.items()}
    checkouts = {code: _machine(tmp_path / "machines", code) for code in MACHINES}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "DATABASE_URL"))}
    base["PATH"] = f"{bin_dir}:{base['PATH']}"
    for code, checkout in checkouts.items():
        env = {
            **base,
            "HOME": str(checkout.parent),
            "BODY": code,
            "LEDGER_API_URL": f"http://127.0.0.1:{ports[code]}",  # this machine's own node, at 127.0.0.1:8000
            "LEDGER_KEYSTORE_PASSWORD": ADMIN_PASSWORD,  # what each person types at a password prompt
            "FAKE_ADDRESSES": json.dumps(addresses),
            "FAKE_HOMES": json.dumps({ip: str(checkouts[c].parent) for c, ip in MACHINES.items()}),
            "FAKE_CHAIN_URL": chain.rpc_url,
            "FAKE_CHECKOUT": str(checkout),
            "FAKE_API_PORT": str(ports[code]),
            "FAKE_LOGS": str(logs),
        }
        (checkout.parent / ".state").write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))
    ran: list[str] = []
    listed: dict[str, bool] = {}
    try:
        for where, commands in page:
            for code in MACHINES if where == "every body" else [where]:
                for command in commands:
                    here = re.sub(r"127\.0\.0\.1:8545", chain.rpc_url.removeprefix("http://"), command)
                    for address, local in addresses.items():
                        here = here.replace(address, local)
                    printed = _run(checkouts[code], here, f"[{code}] {command}", logs)
                    ran.append(f"[{code}] {command}")
                    if command.startswith("ledger bodies list --keystore"):
                        listed = {b["code"]: b["active"] for b in json.loads(printed)}
        _check_the_consortium_it_made(checkouts, chain, ports)
    finally:
        for pid in logs.glob("*.pid"):
            try:
                os.killpg(int(pid.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass
        chain("node", "down", ok=False)
    assert len(ran) > 40
    assert listed == dict.fromkeys(MACHINES, True)  # the page's last command shows the three bodies, active


def _run(checkout: Path, command: str, shown: str, logs: Path) -> str:
    state = checkout.parent / ".state"
    script = f"set -o pipefail\nsource {shlex.quote(str(state))}\ncd {shlex.quote(str(checkout))}\n{command}\n"
    script += f"rc=$?\nexport -p > {shlex.quote(str(state))}\nexit $rc\n"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        tails = "".join(f"\n--- {p.name}\n" + p.read_text()[-3000:] for p in logs.glob("*.log"))
        raise AssertionError(f"{shown}\nfailed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}{tails}")
    return done.stdout


def _check_the_consortium_it_made(checkouts: dict[str, Path], chain: Cli, ports: dict[str, int]) -> None:
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
    senders = {
        tx["from"]
        for n in range(w3.eth.block_number + 1)
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]
    }
    enodes = set()
    for code, checkout in checkouts.items():
        # each node key stayed on its machine
        assert [p.parent.name for p in checkout.glob("node-config/keys/*/key")] == [code]
        enodes.add(
            subprocess.run(
                [str(ROOT / ".venv/bin/ledger"), "consortium", "enode", "--body", code],
                cwd=checkout,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    for code, checkout in checkouts.items():
        allow = tomllib.loads((checkout / "node-config/network" / code / "permissions_config.toml").read_text())
        # every account that transacted was allowed to, by the allowlists the page regenerated last
        assert senders <= set(allow["accounts-allowlist"]), senders - set(allow["accounts-allowlist"])
        assert enodes <= set(allow["nodes-allowlist"])
        health = httpx.get(f"http://127.0.0.1:{ports[code]}/health", timeout=10).json()
        assert health["chain"]["reachable"] and health["database"]["reachable"], health
    # each body published the node the others ask, and its chain node, on-chain
    from ledger.chain.deploy import Contracts
    from ledger.config import Settings
    from ledger.ids import code_id
    from ledger.local.system import open_chain
    from ledger.network.registry import parse_endpoint

    home = checkouts["subdistrict"] / "node-config/network/subdistrict/ledger"
    contracts = Contracts.of(open_chain(Settings(home=home, rpc_url=chain.rpc_url)))
    for code in checkouts:
        published = parse_endpoint(contracts.bodies.get_body(code_id(code)).endpoint)
        assert published.api == f"http://127.0.0.1:{ports[code]}" and published.enode in enodes
