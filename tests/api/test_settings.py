"""Production refuses weak and demo secrets, and says which setting to provide (issue 14, item 5)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

import pytest
from pydantic import ValidationError

from api.settings import ApiSettings
from ledger.watchdog.alerts import Thresholds

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


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"LEDGER_WATCHDOG_OFFICE_HOURS": '{"*": "8-18"}'}, "write them as 'mon-fri 08:00-18:00'"),
        ({"LEDGER_WATCHDOG_OFFICE_HOURS": '{"rc-east": "mon-fri 08:00-18:00"}'}, "need a '*' entry"),
        (
            {"LEDGER_WATCHDOG_OFFICE_HOURS": '{"*": "mon-fri 08:00-18:00", "East Gate": "mon-sun 00:00-24:00"}'},
            "not a body code",
        ),
        ({"LEDGER_WATCHDOG_TIMEZONE": "Mars/Olympus"}, "not a time zone"),
        ({"LEDGER_WATCHDOG_VOLUME_FACTOR": "1"}, "greater than 1"),
    ],
)
def test_watchdog_settings_that_cannot_work_are_refused_in_words(
    env: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ValidationError, match=says.replace("(", r"\(").replace("*", r"\*")):
        ApiSettings()


def test_the_watchdog_takes_office_hours_per_body_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "LEDGER_WATCHDOG_OFFICE_HOURS", '{"*": "mon-fri 08:00-18:00", "public-security": "mon-sun 00:00-24:00"}'
    )
    t = Thresholds.of(ApiSettings())
    sunday_night = dt.datetime(2026, 12, 6, 23, 30)
    assert t.hours_of("public-security").within(sunday_night) and not t.hours_of("rc-east").within(sunday_night)
