"""Compile ``contracts/`` offline with the pinned npm ``solc``, through py-solc-x.

py-solc-x downloads native compilers by default, which cannot work offline; here it is
given ``scripts/solc`` (a solc-compatible wrapper over solc-js) as ``solc_binary`` and
driven through ``compile_standard`` only. Source unit names and settings equal Hardhat's
(``hardhat.config.js`` reads :data:`SETTINGS` from ``contracts/settings.json``), so both
routes produce the same bytecode.

Artifacts are cached in ``build/contracts.json``, keyed by a hash of every input.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from ledger.errors import CompileError
from ledger.toolchain import node_modules, project_root, solc_binary

#: The contracts deployed by ``ledger deploy``, in deployment order.
CONTRACTS = (
    "CivicForwarder",
    "BodyRegistry",
    "ResidentRegistry",
    "RecordRegistry",
    "AccessRegistry",
    "AccessTrail",
    "Seals",
)


def settings() -> dict[str, Any]:
    """Compiler settings shared with Hardhat (``contracts/settings.json``)."""
    settings: dict[str, Any] = json.loads((project_root() / "contracts" / "settings.json").read_text())
    return settings


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str


@dataclass(frozen=True)
class Build:
    compiler_version: str
    source_hash: str
    artifacts: dict[str, Artifact]

    def __getitem__(self, name: str) -> Artifact:
        return self.artifacts[name]

    def all_abis(self) -> list[list[dict[str, Any]]]:
        return [a.abi for a in self.artifacts.values()]

    def abis(self) -> dict[str, list[dict[str, Any]]]:
        return {name: a.abi for name, a in self.artifacts.items()}


def _sources() -> dict[str, str]:
    root = project_root()
    files = sorted((root / "contracts").rglob("*.sol"))
    return {f.relative_to(root).as_posix(): f.read_text() for f in files}


def source_hash() -> str:
    """SHA-256 over the contract sources, the settings and the pinned package lock."""
    h = hashlib.sha256()
    for name, text in _sources().items():
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    h.update(json.dumps(settings(), sort_keys=True).encode())
    h.update((project_root() / "package-lock.json").read_bytes())
    return h.hexdigest()


def standard_input() -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in _sources().items()},
        "settings": {
            **settings(),
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }


def compiler_version() -> str:
    return str(solcx.wrapper.get_solc_version(solc_binary(), with_commit_hash=True))


def compile_contracts(*, use_cache: bool = True) -> Build:
    """Compile every contract (or load the cached build when nothing changed)."""
    cache_file = project_root() / "build" / "contracts.json"
    digest = source_hash()
    if use_cache and cache_file.is_file():
        cached = json.loads(cache_file.read_text())
        if cached.get("sourceHash") == digest:
            return _from_json(cached)
    try:
        out = solcx.compile_standard(
            standard_input(),
            solc_binary=solc_binary(),
            base_path=str(project_root()),
            allow_paths=[str(project_root()), str(node_modules())],
        )
    except SolcError as exc:
        raise CompileError("solc failed:\n" + _messages(exc.stdout_data or "") or str(exc)) from exc
    if any(e.get("severity") == "error" for e in out.get("errors", [])):
        raise CompileError("solc reported errors:\n" + _messages(json.dumps(out)))
    artifacts: dict[str, Artifact] = {}
    for unit, contracts in out["contracts"].items():
        if not unit.startswith("contracts/"):
            continue
        for name, data in contracts.items():
            if data["evm"]["bytecode"]["object"] or name.startswith("I"):
                artifacts[name] = Artifact(
                    name,
                    data["abi"],
                    "0x" + data["evm"]["bytecode"]["object"],
                    "0x" + data["evm"]["deployedBytecode"]["object"],
                )
    build = Build(compiler_version(), digest, artifacts)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(json.dumps(_to_json(build), indent=1))
    return build


def _messages(stdout: str) -> str:
    try:
        errors = json.loads(stdout).get("errors", [])
    except ValueError:
        return stdout[:2000]
    return "\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors if e.get("severity") == "error")


def _to_json(build: Build) -> dict[str, Any]:
    return {
        "generatedBy": "ledger.chain.compiler from contracts/ with the pinned npm solc; do not edit",
        "compilerVersion": build.compiler_version,
        "sourceHash": build.source_hash,
        "contracts": {
            n: {"abi": a.abi, "bytecode": a.bytecode, "deployedBytecode": a.deployed_bytecode}
            for n, a in build.artifacts.items()
        },
    }


def _from_json(data: dict[str, Any]) -> Build:
    arts = {n: Artifact(n, c["abi"], c["bytecode"], c["deployedBytecode"]) for n, c in data["contracts"].items()}
    return Build(data["compilerVersion"], data["sourceHash"], arts)


def load_build(path: Path | None = None) -> Build:
    """The current build, compiling first when the sources changed."""
    if path is not None:
        return _from_json(json.loads(path.read_text()))
    return compile_contracts()
