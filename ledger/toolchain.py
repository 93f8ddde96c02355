"""Where the pinned offline toolchain lives: the project root and its ``node_modules``.

Everything that compiles or runs a chain comes from npm packages pinned by
``package-lock.json``; nothing is downloaded at run time.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from ledger.errors import ToolchainError


@cache
def project_root() -> Path:
    """The checkout holding ``package.json`` and ``contracts/`` (``LEDGER_ROOT`` overrides)."""
    env = os.environ.get("LEDGER_ROOT")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[1]]
    for c in candidates:
        if (c / "package.json").is_file() and (c / "contracts").is_dir():
            return c.resolve()
    raise ToolchainError("cannot find the Civic Ledger checkout (package.json and contracts/); set LEDGER_ROOT")


def node_modules() -> Path:
    path = project_root() / "node_modules"
    if not (path / "solc").is_dir():
        raise ToolchainError(f"{path} is missing the pinned npm packages; run scripts/setup (npm ci)")
    return path


def solc_binary() -> Path:
    """The solc-compatible wrapper over the pinned npm ``solc`` (see scripts/solc)."""
    node_modules()
    return project_root() / "scripts" / "solc"


def npm_bin(name: str) -> Path:
    """An executable from ``node_modules/.bin`` (hardhat, ganache)."""
    path = node_modules() / ".bin" / name
    if not path.exists():
        raise ToolchainError(f"{name} is not installed in {path.parent}; run scripts/setup")
    return path


def anvil_binary() -> Path:
    """anvil's native binary from the platform package of ``@foundry-rs/anvil``.

    The wrapper package's postinstall (skipped by npm 11) only links this binary, so it is
    located directly.
    """
    base = node_modules() / "@foundry-rs"
    for pkg in sorted(base.glob("anvil-*")):
        exe = pkg / "bin" / "anvil"
        if exe.is_file():
            return exe
    raise ToolchainError(f"no anvil binary for this platform under {base}; run scripts/setup")
