"""The local system's API processes: one ``ledger serve`` per record-keeping body, in the
background, with pid and log files under ``$LEDGER_HOME/api/`` (as the local node keeps its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledger.config import body_file_name
from ledger.errors import NodeError
from ledger.local.chain_node import port_free, process_alive, stop_recorded
from ledger.toolchain import project_root


@dataclass(frozen=True)
class ApiInfo:
    body: str
    port: int
    pid: int
    log: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ApiProcess:
    """The background API of one body of the local system."""

    def __init__(self, home: Path, body: str) -> None:
        self.home = home
        self.body = body
        self.dir = home / "api"
        self.info_file = self.dir / f"{body_file_name(body)}.json"

    def info(self) -> ApiInfo | None:
        if not self.info_file.is_file():
            return None
        return ApiInfo(**json.loads(self.info_file.read_text()))

    def running(self) -> ApiInfo | None:
        info = self.info()
        return info if info is not None and process_alive(info.pid) else None

    def up(self, port: int, *, env: dict[str, str] | None = None, timeout: float = 60.0) -> ApiInfo:
        """Starts the API unless it runs already (on ``port``); waits until ``/health`` answers."""
        current = self.running()
        if current is not None:
            if current.port != port:
                raise NodeError(f"the {self.body} API already runs on port {current.port}; run `ledger api down`")
            return current
        if not port_free(port):
            raise NodeError(f"port {port} is taken by another program; choose another with --port")
        self.dir.mkdir(parents=True, exist_ok=True)
        log = self.dir / f"{self.body}.log"
        cmd = [str(Path(sys.executable).with_name("ledger")), "serve", "--body", self.body, "--port", str(port)]
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "LEDGER_HOME": str(self.home), **(env or {})},
                cwd=project_root(),
                start_new_session=True,
            )
        info = ApiInfo(self.body, port, proc.pid, str(log))
        self.info_file.write_text(json.dumps(info.__dict__))
        deadline = time.monotonic() + timeout
        while True:
            try:
                # Serving: healthy (200), or up but reporting a degraded chain, database or trail (503).
                if httpx.get(info.url + "/health", timeout=5).headers.get("content-type") == "application/json":
                    return info
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                self.down()
                raise NodeError(f"the {self.body} API did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)

    def down(self, *, timeout: float = 20.0) -> bool:
        info = self.info()
        return stop_recorded(self.info_file, info.pid if info else None, timeout=timeout)
