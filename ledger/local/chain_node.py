"""Local chain nodes run from ``node_modules``: anvil (default), Hardhat node or Ganache.

``ledger node up`` starts one detached, with its log, pid and state under the ledger home
(``.ledger/node/``); ``down`` stops it; ``status`` tells. anvil and Ganache keep their
state across restarts (anvil dumps its state on exit, and :class:`AnvilState` after each confirmation); Hardhat's node
keeps nothing.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ledger.errors import NodeError
from ledger.files import replace_private
from ledger.local.devkeys import DEV_ACCOUNTS, DEV_MNEMONIC
from ledger.toolchain import anvil_binary, npm_bin, project_root

NodeKind = Literal["anvil", "hardhat", "ganache"]
KINDS: tuple[NodeKind, ...] = ("anvil", "hardhat", "ganache")
DEFAULT_CHAIN_ID = 31337


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class NodeSpec:
    kind: NodeKind = "anvil"
    port: int = 8545
    chain_id: int = DEFAULT_CHAIN_ID
    block_time: float = 0  # seconds; 0 mines each transaction at once
    zero_gas: bool = True  # gas price and base fee 0, as on the production Besu network

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class NodeInfo:
    spec: NodeSpec
    pid: int
    log: str


def _command(spec: NodeSpec, state_dir: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if spec.kind == "anvil":
        cmd = [
            str(anvil_binary()),
            "--host",
            "127.0.0.1",
            "--port",
            str(spec.port),
            "--chain-id",
            str(spec.chain_id),
            "--accounts",
            str(DEV_ACCOUNTS),
            "--mnemonic",
            DEV_MNEMONIC,
            "--state",
            str(state_dir / STATE_FILE),
            "--hardfork",
            "shanghai",
        ]
        if spec.block_time:
            cmd += ["--block-time", str(spec.block_time)]
        if spec.zero_gas:
            cmd += ["--gas-price", "0", "--base-fee", "0"]
        return cmd, env
    if spec.kind == "ganache":
        cmd = [
            str(npm_bin("ganache")),
            "--server.host",
            "127.0.0.1",
            "--server.port",
            str(spec.port),
            "--chain.chainId",
            str(spec.chain_id),
            "--chain.hardfork",
            "shanghai",
            "--wallet.mnemonic",
            DEV_MNEMONIC,
            "--wallet.totalAccounts",
            str(DEV_ACCOUNTS),
            "--database.dbPath",
            str(state_dir / "ganache-db"),
            "--logging.quiet",
        ]
        if spec.block_time:
            cmd += ["--miner.blockTime", str(spec.block_time)]
        return cmd, env
    # Hardhat node: settings come from hardhat.config.js, which reads these variables.
    env.update(
        {
            "LEDGER_CHAIN_ID": str(spec.chain_id),
            "LEDGER_BLOCK_TIME_MS": str(int(spec.block_time * 1000)),
            "LEDGER_DEV_ACCOUNTS": str(DEV_ACCOUNTS),
        }
    )
    cmd = [str(npm_bin("hardhat")), "node", "--hostname", "127.0.0.1", "--port", str(spec.port)]
    return cmd, env


STATE_FILE = "anvil-state.json"


class AnvilState:
    """Keeps what a local anvil confirmed: each time this process sees a transaction confirmed in a block
    newer than the last it saved, it asks anvil for its state (``anvil_dumpState``, ~20 ms on the demo
    chain) and writes it whole to the file anvil loads when it starts (temporary file, fsync, rename). A
    node SIGKILLed right after a confirmation restarts with it. anvil itself writes the file only when
    it stops cleanly: its own periodic dumps are neither per block nor atomic."""

    def __init__(self, w3: Any, path: Path) -> None:
        self.w3, self.path = w3, path
        self._saved = -1
        self._lock = threading.Lock()

    def __call__(self, block: int) -> None:
        with self._lock:
            if block <= self._saved:
                return
            answer = self.w3.provider.make_request("anvil_dumpState", [])
            state = gzip.decompress(bytes.fromhex(str(answer["result"]).removeprefix("0x")))
            replace_private(self.path, state)
            self._saved = block


class LocalNode:
    """One local node whose files live in ``home`` (pid, log, state)."""

    def __init__(self, home: Path) -> None:
        self.dir = home / "node"
        self.info_file = self.dir / "node.json"

    def info(self) -> NodeInfo | None:
        if not self.info_file.is_file():
            return None
        data = json.loads(self.info_file.read_text())
        return NodeInfo(NodeSpec(**data["spec"]), data["pid"], data["log"])

    def running(self) -> NodeInfo | None:
        info = self.info()
        if info is None or not process_alive(info.pid):
            return None
        return info

    def _port_released(self, port: int, wait: float = 60.0) -> bool:
        """After this home's node died on ``port`` (killed, not stopped), its sockets linger until its
        clients close their side, which they do at their next request: wait for that, not for ever."""
        dead = self.info()
        if dead is None or dead.spec.port != port or process_alive(dead.pid):
            return False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if port_free(port):
                return True
            time.sleep(0.1)
        return False

    def up(self, spec: NodeSpec, *, timeout: float = 60.0) -> NodeInfo:
        """Starts the node unless one runs already (then returns it if it matches ``spec``)."""
        current = self.running()
        if current is not None:
            if current.spec.kind != spec.kind or current.spec.port != spec.port:
                raise NodeError(
                    f"a {current.spec.kind} node already runs on port {current.spec.port}; run `ledger node down` first"
                )
            return current
        if spec.kind not in KINDS:
            raise NodeError(f"unknown node kind {spec.kind!r}; choose one of {', '.join(KINDS)}")
        if not port_free(spec.port) and not self._port_released(spec.port):
            raise NodeError(f"port {spec.port} is taken by another program; choose another with --port")
        self.dir.mkdir(parents=True, exist_ok=True)
        cmd, env = _command(spec, self.dir)
        log = self.dir / f"{spec.kind}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=project_root(),
                start_new_session=True,
            )
        info = NodeInfo(spec, proc.pid, str(log))
        self.info_file.write_text(json.dumps({"spec": asdict(spec), "pid": proc.pid, "log": str(log)}))
        try:
            from ledger.chain.connection import wait_for_rpc  # web3: loaded only when a node starts

            chain_id = wait_for_rpc(spec.rpc_url, timeout=timeout)
        except Exception as exc:
            self.down()
            tail = log.read_text(errors="replace")[-2000:]
            raise NodeError(f"{spec.kind} did not start: {exc}\n{tail}") from exc
        if chain_id != spec.chain_id:
            self.down()
            raise NodeError(f"{spec.kind} answered with chain id {chain_id}, expected {spec.chain_id}")
        return info

    def down(self, *, timeout: float = 20.0) -> bool:
        """Stops the node (SIGTERM, so anvil writes its state); returns whether one ran."""
        info = self.info()
        return stop_recorded(self.info_file, info.pid if info else None, timeout=timeout)


def stop_recorded(info_file: Path, pid: int | None, *, timeout: float = 20.0) -> bool:
    """Stops a background service whose pid ``info_file`` records, and forgets it; returns whether it ran."""
    if pid is None:
        return False
    was_running = stop_process_group(pid, timeout=timeout)
    info_file.unlink(missing_ok=True)
    return was_running


def stop_process_group(pid: int, *, timeout: float = 20.0) -> bool:
    """SIGTERM to the process group of ``pid`` (started with a new session), SIGKILL after
    ``timeout``; returns whether it was running."""
    if not process_alive(pid):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if process_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    return True


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited child not yet reaped) counts as stopped.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return True


def port_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now (sockets of a closed server in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
