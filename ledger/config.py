"""Configuration: environment variables (``LEDGER_*``) and one optional settings file.

The file is ``ledger.toml`` in the project root, or the path in ``LEDGER_CONFIG``;
environment variables override it. Nothing secret has a default here: keys live in
keystore files outside the repository.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from ledger.ids import CODE_PATTERN, code_id
from ledger.local.chain_node import DEFAULT_CHAIN_ID, NodeKind, NodeSpec
from ledger.toolchain import project_root


def _config_file() -> Path:
    return Path(os.environ.get("LEDGER_CONFIG") or project_root() / "ledger.toml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    home: Path = Field(
        default_factory=lambda: project_root() / ".ledger", description="Directory for node state, the manifest and logs."
    )
    rpc_url: str | None = Field(default=None, description="JSON-RPC endpoint; unset means the local node.")
    node_kind: NodeKind = Field(default="anvil", description="Local node: anvil, hardhat or ganache.")
    node_port: int = Field(default=8545, ge=1, le=65535)
    chain_id: int = Field(default=DEFAULT_CHAIN_ID, ge=1)
    block_time: float = Field(default=0, ge=0, description="Seconds between blocks; 0 mines each transaction.")
    poa: bool | None = Field(default=None, description="PoA/BFT header middleware; unset detects it.")
    manifest: Path | None = Field(default=None, description="Manifest path; default <home>/manifest.json.")
    # Off-chain record store of one body. Secrets have no defaults: they come from the
    # environment, a key file, or (local demo only) files `ledger up` generates in <home>/secrets.
    body: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        description="Code of the body whose record store this is, e.g. rc-east (lower-case "
        "letters, digits, '_', '.', '-'; it names files, so nothing else).",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "LEDGER_DATABASE_URL"),
        description="sqlite:///… or postgresql://…; default SQLite in <home>/store/.",
    )
    kek: SecretStr | None = Field(default=None, description="Key-encryption keys: id:base64 pairs, active first.")
    kek_file: Path | None = Field(default=None, description="Encrypted keyring file (ledger keys kek-new).")
    kek_password: SecretStr | None = Field(default=None, description="Password of the keyring file.")
    consortium_secret: SecretStr | None = Field(default=None, description="HMAC key of subject ids, hex (>= 32 bytes).")
    # The access trail's anchoring and the chain index (run by the API's node).
    trail_mode: Literal["batched", "immediate"] = Field(
        default="batched", description="batched: Merkle roots of consecutive events; immediate: one tx per event."
    )
    trail_batch_size: int = Field(default=1_000, ge=1, le=100_000, description="Anchor when this many events wait.")
    trail_batch_interval: float = Field(default=1.0, ge=0, description="... or when the oldest waited this long, s.")
    trail_anchor_grace: float = Field(
        default=30.0, ge=1, description="Receipts promise anchoring within the batch interval plus this, seconds."
    )
    trail_anchoring: bool = Field(default=True, description="Run the anchoring worker in the API process.")
    tx_stuck_after: float = Field(
        default=20.0,
        gt=0,
        le=3_600,
        description="A sent anchoring transaction not "
        "mined after this many seconds is replaced (nonce re-read from the chain).",
    )
    index_depth: int = Field(
        default=0, ge=0, le=1_000, description="Blocks the indexer stays behind the head (reorg tolerance; 0 for QBFT)."
    )
    audit_workers: int = Field(default=2, ge=1, le=64, description="Processes the audit checks signatures with.")
    index_interval: float = Field(default=0.5, gt=0, description="Seconds between the indexer's polls.")
    head_interval: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="Seconds between polls of the chain's head: "
        "reads are decided at the head the node knows, never more than this behind "
        "(twice this and it is asked again before a read).",
    )
    # The watchdog (ledger.watchdog): each rule's threshold.
    watchdog_volume_factor: float = Field(
        default=3.0, gt=1, le=100, description="Volume: a day's reads above this many times the post's median."
    )
    watchdog_volume_min: int = Field(default=50, ge=1, description="Volume: ... and above this many reads in the day.")
    watchdog_office_hours: dict[str, str] = Field(
        default={"*": "mon-fri 08:00-18:00"},
        description="Off hours: office hours by body code ('*' for the rest), e.g. "
        '{"*": "mon-fri 08:00-18:00", "public-security": "mon-sun 00:00-24:00"} (JSON in the environment).',
    )
    watchdog_off_hours_min: int = Field(default=1, ge=1, description="Off hours: reads out of hours in a day to raise.")
    watchdog_repeats: int = Field(
        default=5, ge=1, description="Repeats: more reads than this of one resident by one officer under one grant ..."
    )
    watchdog_repeat_days: int = Field(default=7, ge=1, le=366, description="... within this many days.")
    watchdog_emergency_factor: float = Field(
        default=3.0, gt=1, le=100, description="Emergencies: a body's week above this many times its weekly median ..."
    )
    watchdog_emergency_min: int = Field(default=5, ge=1, description="... and above this many emergency reads.")
    watchdog_timezone: str = Field(default="Asia/Shanghai", description="Days, weeks and office hours are in this zone.")
    watchdog_interval: float = Field(
        default=300.0, ge=5, description="Seconds between the node's watchdog runs (its /metrics gauges)."
    )

    @field_validator("watchdog_office_hours")
    @classmethod
    def _office_hours(cls, value: dict[str, str]) -> dict[str, str]:
        from ledger.watchdog.alerts import OfficeHours

        if "*" not in value:
            raise ValueError("office hours need a '*' entry for the bodies not named")
        for body, hours in value.items():
            if body != "*" and not re.fullmatch(CODE_PATTERN, body):
                raise ValueError(f"office hours: {body!r} is not a body code")
            OfficeHours.parse(hours)
        return value

    @field_validator("watchdog_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone this machine knows (e.g. Asia/Shanghai)") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[Any, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=_config_file()))

    @property
    def manifest_path(self) -> Path:
        return self.manifest or self.home / "manifest.json"

    @property
    def node_spec(self) -> NodeSpec:
        return NodeSpec(self.node_kind, self.node_port, self.chain_id, self.block_time)

    @property
    def secrets_dir(self) -> Path:
        """Where `ledger up` keeps the local demo's generated secrets (never in the repository)."""
        return self.home / "secrets"

    def epochs_path(self, body: str) -> Path:
        """The body's epoch keys (wrapped by its KEK), which erasures destroy: always a file of this home,
        whichever database holds the records."""
        return self.home / "keys" / f"{body_file_name(body)}.epochs.json"

    def store_url(self, body: str) -> str:
        if self.database_url:
            return self.database_url
        path = self.home / "store" / f"{body_file_name(body)}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"

    @property
    def effective_rpc_url(self) -> str:
        return self.rpc_url or self.node_spec.rpc_url


def body_file_name(body: str) -> str:
    """A body code, checked before it names a file: ``../../x`` is not a body (InvalidIdentifier)."""
    code_id(body)
    return body
