"""The deployment manifest: which contracts are where on which chain.

``ledger deploy`` writes it; every other command and the API read it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ledger.errors import ManifestError


@dataclass(frozen=True)
class Manifest:
    chain_id: int
    contracts: dict[str, str]
    deploy_block: int
    compiler_version: str
    source_hash: str
    deployer: str
    founder: str
    rpc_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"schema": "civic-ledger/manifest@1", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("schema") != "civic-ledger/manifest@1":
            raise ManifestError("not a Civic Ledger manifest (schema civic-ledger/manifest@1)")
        fields = {k: v for k, v in data.items() if k != "schema"}
        try:
            return cls(**fields)
        except TypeError as exc:
            raise ManifestError(f"malformed manifest: {exc}") from exc

    def save(self, path: Path, abis: dict[str, list[dict[str, Any]]] | None = None) -> None:
        """Writes the manifest and, given the build's ABIs, ``abi/<Contract>.json`` beside it for clients."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        os.replace(tmp, path)
        if abis is not None:
            self.write_abis(path.parent / "abi", abis)

    def contract_abis(self, abis: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """Each deployed contract with its address and ABI, as clients need them."""
        return [
            {
                "name": name,
                "address": address,
                "abi": abis[name],
                "chainId": self.chain_id,
                "generatedBy": f"solc {self.compiler_version} over sources {self.source_hash[:16]}…",
            }
            for name, address in sorted(self.contracts.items())
            if name in abis
        ]

    def write_abis(self, folder: Path, abis: dict[str, list[dict[str, Any]]]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for entry in self.contract_abis(abis):
            (folder / f"{entry['name']}.json").write_text(json.dumps(entry, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.is_file():
            raise ManifestError(f"no manifest at {path}; run `ledger deploy` first")
        try:
            return cls.from_json(json.loads(path.read_text()))
        except ValueError as exc:
            raise ManifestError(f"{path} is not valid JSON: {exc}") from exc
