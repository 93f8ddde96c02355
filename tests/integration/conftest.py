"""Integration fixtures: the ``ledger`` command run as a user runs it, in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import free_port

LEDGER = Path(sys.executable).with_name("ledger")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error(self) -> dict[str, Any]:
        """The JSON error the CLI prints on stderr when it refuses."""
        start = self.stderr.index("{")
        return dict(json.loads(self.stderr[start:]))


class Cli:
    """Runs ``ledger`` with its home (node state, manifest) in a temporary directory."""

    def __init__(self, home: Path, port: int) -> None:
        self.home = home
        self.port = port
        self.env = {**os.environ, "LEDGER_HOME": str(home), "LEDGER_NODE_PORT": str(port), "COLUMNS": "200"}
        self.cwd: Path | None = None  # where relative paths (node-config/…) are: a "machine" of its own
        for name in ("LEDGER_RPC_URL", "LEDGER_KEYSTORE_PASSWORD", "LEDGER_CONFIG", "LEDGER_MANIFEST"):
            self.env.pop(name, None)

    def __call__(self, *args: str, ok: bool = True, timeout: float = 300, **env: str) -> Result:
        proc = subprocess.run(
            [str(LEDGER), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**self.env, **env},
            stdin=subprocess.DEVNULL,
            cwd=self.cwd,
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if ok and proc.returncode != 0:
            raise AssertionError(f"ledger {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return result

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def cli(tmp_path: Path) -> Any:
    c = Cli(tmp_path / "home", free_port())
    yield c
    c("node", "down", ok=False)
