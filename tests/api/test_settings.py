"""Production refuses weak and demo secrets, and says which setting to provide (issue 14, item 5)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from pydantic import ValidationError

from api.settings import ApiSettings

STRONG = secrets.token_urlsafe(32)
KEK = "kek-1:" + base64.b64encode(secrets.token_bytes(32)).decode()
CONSORTIUM = secrets.token_hex(32)


def production(**over: Any) -> ApiSettings:
    base: dict[str, Any] = dict(
        environment="production",
        body="rc-east",
        api_token_secret=STRONG,
        kek=KEK,
        consortium_secret=CONSORTIUM,
        relayer_keystore="/nonexistent/relayer.json",
    )
    base.update(over)
    return ApiSettings(**{k: v for k, v in base.items() if v is not None})


def refused(match: str, **over: Any) -> None:
    with pytest.raises(ValidationError, match=match):
        production(**over)


def test_production_refuses_weak_and_demo_secrets_and_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LEDGER_KEK", "LEDGER_KEK_FILE", "LEDGER_CONSORTIUM_SECRET", "LEDGER_API_TOKEN_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert production().environment == "production"
    refused("LEDGER_API_TOKEN_SECRET", api_token_secret="a" * 36)  # long, but no entropy
    refused("LEDGER_API_TOKEN_SECRET", api_token_secret="ab" * 20)
    refused("LEDGER_API_TOKEN_SECRET", api_token_secret=STRONG[:20])
    refused("LEDGER_KEK_FILE", kek=None)  # the demo's <home>/secrets keyring is not a fallback
    refused("LEDGER_CONSORTIUM_SECRET", consortium_secret=None)
    refused("LEDGER_CONSORTIUM_SECRET", consortium_secret="00" * 32)
    # development keeps working with the demo's generated secrets
    assert ApiSettings(environment="development", body="rc-east").api_token_secret is not None
