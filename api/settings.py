"""API settings: the ledger settings plus sign-in and token options (``LEDGER_API_*``).

Outside development the token secret must be set and strong; in development a random one
is made per process (tokens then end with the process).
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections import Counter
from pathlib import Path
from typing import Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import Field, SecretStr, model_validator

from ledger.config import Settings
from ledger.errors import KeyringError
from ledger.local.devkeys import dev_account

MIN_SECRET_BITS = 100


def estimated_bits(secret: str) -> float:
    """A secret's entropy as its characters' Shannon entropy times its length: "aaaa…" scores 0."""
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values()) if secret else 0.0
    return per_char * len(secret)


class ApiSettings(Settings):
    environment: Literal["development", "production"] = Field(
        default="development", description="production refuses missing or weak secrets"
    )
    api_token_secret: SecretStr | None = Field(default=None, description="HMAC key of bearer tokens (>= 32 chars)")
    api_token_ttl: int = Field(default=900, ge=30, le=86_400, description="Bearer token lifetime, seconds")
    api_domain: str = Field(default="127.0.0.1:8000", description="The domain SIWE messages must name")
    api_uri: str = Field(default="http://127.0.0.1:8000", description="The URI SIWE messages name")
    api_threads: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Threads that run blocking request handlers "
        "(database, decryption). Few: Python threads beyond the cores only contend for the GIL",
    )
    api_max_body: int = Field(default=256 * 1024, ge=1024, description="Largest request body, bytes")
    api_code_attempts: int = Field(default=10, ge=1, description="Access-code attempts allowed per client per window")
    api_code_window: float = Field(default=60.0, gt=0, description="Window of the access-code limit, seconds")
    portal_chain_url: str | None = Field(
        default=None,
        description="The chain's JSON-RPC endpoint that browsers verify "
        "against (not this node; default: the node's own RPC URL). The portal's "
        "Content-Security-Policy allows connections to it and nowhere else",
    )
    api_nonce_attempts: int = Field(default=120, ge=1, description="Sign-in nonces a client may ask for per window")
    api_trusted_proxies: str | None = Field(
        default=None,
        description="Addresses of reverse proxies whose "
        "X-Forwarded-For is believed (comma-separated); default: none, the "
        "client is the connection's peer",
    )
    relayer_keystore: Path | None = Field(
        default=None, description="Keystore V3 file of this node's relay account (password in LEDGER_KEYSTORE_PASSWORD)"
    )
    relayer_dev_account: int | None = Field(
        default=None, ge=0, description="Development only: relay with well-known dev key N"
    )

    notify_webhook: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="URL of the body's SMS / WeChat gateway that notices to residents are POSTed to; unset: notices "
        "wait in the outbox",
    )
    notify_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA-256 key of the notices' X-Civic-Ledger-Signature (>= 32 characters)"
    )
    notify_sensitive: list[str] = Field(
        default=["health"], description="Categories whose every read is an instant notice (the rest: a daily digest)"
    )
    notify_digest_seconds: float = Field(
        default=86_400, ge=1, le=7 * 86_400, description="A digest's window, seconds (a day, from local midnight)"
    )
    notify_interval: float = Field(default=1.0, gt=0, le=60, description="Seconds between the outbox's passes")
    notify_link: str | None = Field(
        default=None, description="The resident's page the notices link to (default: the portal's)"
    )

    @model_validator(mode="after")
    def _notify(self) -> ApiSettings:
        if self.notify_webhook:
            secret = self.notify_secret.get_secret_value() if self.notify_secret else ""
            if len(secret) < 32 or estimated_bits(secret) < MIN_SECRET_BITS:
                raise ValueError(
                    "LEDGER_NOTIFY_WEBHOOK needs LEDGER_NOTIFY_SECRET: the key the gateway checks notices with, "
                    "random, at least 32 characters"
                )
        return self

    @model_validator(mode="after")
    def _secrets(self) -> ApiSettings:
        secret = self.api_token_secret.get_secret_value() if self.api_token_secret else ""
        if self.environment == "production":
            if len(secret) < 32 or estimated_bits(secret) < MIN_SECRET_BITS:
                raise ValueError(
                    "LEDGER_API_TOKEN_SECRET must be set to a random secret in production (at least 32 "
                    "characters and about 100 bits of entropy, e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'`)"
                )
            # The demo's generated secrets in <home>/secrets are for the local demo only: production names its own.
            if self.kek is None and self.kek_file is None:
                raise ValueError(
                    "production needs the body's key-encryption keys: set LEDGER_KEK_FILE and "
                    "LEDGER_KEK_PASSWORD (create one with `ledger keys kek-new`), or LEDGER_KEK; the "
                    "demo's generated keyring is not used in production"
                )
            consortium = self.consortium_secret.get_secret_value() if self.consortium_secret else ""
            try:
                raw = bytes.fromhex(consortium.removeprefix("0x"))
            except ValueError:
                raw = b""
            if len(raw) < 32 or len(set(raw)) < 16:
                raise ValueError(
                    "production needs LEDGER_CONSORTIUM_SECRET: the consortium's random secret, hex, at "
                    "least 32 bytes; the demo's generated secret is not used in production"
                )
            if self.body is None:
                raise ValueError("LEDGER_BODY must name the body this node serves")
            if self.relayer_dev_account is not None:
                raise ValueError("LEDGER_RELAYER_DEV_ACCOUNT is for development; give LEDGER_RELAYER_KEYSTORE")
        elif not secret:
            self.api_token_secret = SecretStr(secrets.token_urlsafe(32))
        return self

    def relayer_account(self) -> LocalAccount:
        """The account this node relays people's signed requests with (it pays no gas: zero gas price)."""
        if self.relayer_keystore is not None:
            password = os.environ.get("LEDGER_KEYSTORE_PASSWORD")
            if password is None:
                raise KeyringError("set LEDGER_KEYSTORE_PASSWORD to unlock LEDGER_RELAYER_KEYSTORE")
            try:
                account: LocalAccount = Account.from_key(
                    Account.decrypt(json.loads(self.relayer_keystore.read_text()), password)
                )
                return account
            except (OSError, ValueError) as exc:
                raise KeyringError(f"cannot unlock the relayer keystore: {exc}") from None
        if self.relayer_dev_account is not None:
            return dev_account(self.relayer_dev_account)
        if self.environment == "development" and self.body is not None:
            from ledger.local import demo

            node_index = demo.node_account(self.body)
            if node_index is not None:  # the demo body's node account (WELL-KNOWN DEV KEY)
                return dev_account(node_index)
        raise KeyringError("no relay account: set LEDGER_RELAYER_KEYSTORE (or LEDGER_RELAYER_DEV_ACCOUNT in development)")
