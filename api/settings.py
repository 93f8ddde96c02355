"""API settings: the ledger settings plus sign-in and token options (``LEDGER_API_*``).

Outside development the token secret must be set and strong; in development a random one
is made per process (tokens then end with the process).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import Field, SecretStr, model_validator

from ledger.config import Settings
from ledger.devkeys import dev_account
from ledger.errors import KeyringError


class ApiSettings(Settings):
    environment: Literal["development", "production"] = Field(
        default="development", description="production refuses missing or weak secrets")
    api_token_secret: SecretStr | None = Field(default=None, description="HMAC key of bearer tokens (>= 32 chars)")
    api_token_ttl: int = Field(default=900, ge=30, le=86_400, description="Bearer token lifetime, seconds")
    api_domain: str = Field(default="127.0.0.1:8000", description="The domain SIWE messages must name")
    api_uri: str = Field(default="http://127.0.0.1:8000", description="The URI SIWE messages name")
    api_max_body: int = Field(default=256 * 1024, ge=1024, description="Largest request body, bytes")
    api_code_attempts: int = Field(default=10, ge=1, description="Access-code attempts allowed per client per window")
    api_code_window: float = Field(default=60.0, gt=0, description="Window of the access-code limit, seconds")
    portal_chain_url: str | None = Field(default=None, description="The chain's JSON-RPC endpoint that browsers verify "
                                         "against (not this node; default: the node's own RPC URL). The portal's "
                                         "Content-Security-Policy allows connections to it and nowhere else")
    api_nonce_attempts: int = Field(default=120, ge=1, description="Sign-in nonces a client may ask for per window")
    api_trusted_proxies: str | None = Field(default=None, description="Addresses of reverse proxies whose "
                                            "X-Forwarded-For is believed (comma-separated); default: none, the "
                                            "client is the connection's peer")
    relayer_keystore: Path | None = Field(default=None, description="Keystore V3 file of this node's relay account "
                                                                    "(password in LEDGER_KEYSTORE_PASSWORD)")
    relayer_dev_account: int | None = Field(default=None, ge=0, description="Development only: relay with "
                                                                            "well-known dev key N")

    @model_validator(mode="after")
    def _secrets(self) -> "ApiSettings":
        secret = self.api_token_secret.get_secret_value() if self.api_token_secret else ""
        if self.environment == "production":
            if len(secret) < 32:
                raise ValueError("LEDGER_API_TOKEN_SECRET must be set (at least 32 characters) in production")
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
                return Account.from_key(Account.decrypt(json.loads(self.relayer_keystore.read_text()), password))
            except (OSError, ValueError) as exc:
                raise KeyringError(f"cannot unlock the relayer keystore: {exc}") from None
        if self.relayer_dev_account is not None:
            return dev_account(self.relayer_dev_account)
        if self.environment == "development" and self.body is not None:
            from ledger import demo

            node_index = demo.node_account(self.body)
            if node_index is not None:  # the demo body's node account (WELL-KNOWN DEV KEY)
                return dev_account(node_index)
        raise KeyringError("no relay account: set LEDGER_RELAYER_KEYSTORE (or LEDGER_RELAYER_DEV_ACCOUNT in development)")
