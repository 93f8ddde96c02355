"""API settings: the ledger settings plus sign-in and token options (``LEDGER_API_*``).

Outside development the token secret must be set and strong; in development a random one
is made per process (tokens then end with the process).
"""

from __future__ import annotations

import secrets
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from ledger.config import Settings


class ApiSettings(Settings):
    environment: Literal["development", "production"] = Field(
        default="development", description="production refuses missing or weak secrets")
    api_token_secret: SecretStr | None = Field(default=None, description="HMAC key of bearer tokens (>= 32 chars)")
    api_token_ttl: int = Field(default=900, ge=30, le=86_400, description="Bearer token lifetime, seconds")
    api_domain: str = Field(default="127.0.0.1:8000", description="The domain SIWE messages must name")
    api_uri: str = Field(default="http://127.0.0.1:8000", description="The URI SIWE messages name")
    api_max_body: int = Field(default=256 * 1024, ge=1024, description="Largest request body, bytes")

    @model_validator(mode="after")
    def _secrets(self) -> "ApiSettings":
        secret = self.api_token_secret.get_secret_value() if self.api_token_secret else ""
        if self.environment == "production":
            if len(secret) < 32:
                raise ValueError("LEDGER_API_TOKEN_SECRET must be set (at least 32 characters) in production")
            if self.body is None:
                raise ValueError("LEDGER_BODY must name the body this node serves")
        elif not secret:
            self.api_token_secret = SecretStr(secrets.token_urlsafe(32))
        return self
