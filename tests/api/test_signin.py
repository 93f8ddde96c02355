"""Sign-in with Ethereum and bearer tokens, end to end against uvicorn and anvil."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import httpx
import jwt
import pytest

from ledger.client.api_client import ApiError
from ledger.crypto.siwe import SiweMessage
from ledger.ids import Role
from ledger.local.devkeys import dev_account
from tests.api.conftest import TOKEN_SECRET, Api

OFFICER, ADMIN, OUTSIDER = 6, 4, 27  # rc-east officer and admin; an account of no body


def _refused(call, status: int, code: str, reason: str | None = None) -> ApiError:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiError) as info:
        call()
    assert (info.value.status, info.value.api_code) == (status, code), info.value.body
    if reason is not None:
        assert info.value.body.get("reason") == reason, info.value.body
    return info.value


def test_health_names_the_chain_the_database_and_the_deployment(api: Api) -> None:
    h = api.client().health()
    assert h["status"] == "ok" and h["body"] == "rc-east"
    chain = h["chain"]
    assert (chain["reachable"], chain["chainId"], chain["lastError"]) == (True, 31337, None) and chain["head"] > 0
    # the node follows the head: never more than twice its poll interval old when a request uses it
    assert 0 <= chain["headAgeSeconds"] <= 2 * chain["pollInterval"] + 0.5
    assert chain["head"] >= int(str(api.rpc("eth_blockNumber")), 16) - 1  # 1-second blocks: at most one behind
    assert h["database"] == {"reachable": True, "dialect": api.dialect}
    assert h["manifest"]["contracts"]["RecordRegistry"] == api.contracts.records.handle.address


def test_an_officer_signs_in_and_the_chain_says_who_they_are(api: Api) -> None:
    c = api.client(OFFICER)
    token = c.login()
    assert token["address"] == dev_account(OFFICER).address and token["tokenType"] == "bearer"
    me = c.me()
    assert {k: me[k] for k in ("address", "body", "roles")} == {
        "address": dev_account(OFFICER).address,
        "body": "rc-east",
        "roles": ["officer"],
    }
    assert me["name"] and me["post"]  # named by their own body's directory, at its node (an admin may rename them)
    mine = c.request("GET", "/bodies/mine")
    assert mine["code"] == "rc-east" and mine["kind"] == "residents_committee" and mine["myRoles"] == ["officer"]


def test_a_resident_with_no_body_signs_in_but_is_no_member(api: Api) -> None:
    c = api.client(OUTSIDER)
    c.login()
    assert c.me()["body"] is None
    _refused(lambda: c.request("GET", "/bodies/mine"), 403, "not_authorized")


def test_replayed_sign_in_message_is_refused(api: Api) -> None:
    c = api.client(OFFICER)
    message = c.sign_in_message()
    signature = c.sign(message)
    c.request("POST", "/auth/login", json={"message": message, "signature": signature})
    _refused(
        lambda: c.request("POST", "/auth/login", json={"message": message, "signature": signature}),
        401,
        "sign_in_failed",
        "nonce",
    )


@pytest.mark.parametrize(
    "change,reason",
    [
        (dict(domain="evil.example"), "domain"),
        (dict(chain_id=1), "chain"),
        (dict(expiration_time="2020-01-01T00:00:00Z"), "expired"),
        (dict(issued_at="2020-01-01T00:00:00Z"), "expired"),
    ],
)
def test_messages_for_elsewhere_or_out_of_time_are_refused_and_burn_no_nonce(
    api: Api, change: dict[str, object], reason: str
) -> None:
    c = api.client(OFFICER)
    good = SiweMessage.parse(c.sign_in_message())
    bad = SiweMessage(**{**good.__dict__, **change}).text()
    _refused(
        lambda: c.request("POST", "/auth/login", json={"message": bad, "signature": c.sign(bad)}),
        401,
        "sign_in_failed",
        reason,
    )
    text = good.text()  # the refusal changed nothing: the nonce still works once
    assert c.request("POST", "/auth/login", json={"message": text, "signature": c.sign(text)})["accessToken"]


def test_a_message_signed_by_someone_else_or_with_an_invented_nonce_is_refused(api: Api) -> None:
    officer, outsider = api.client(OFFICER), api.client(OUTSIDER)
    message = officer.sign_in_message()  # names the officer's address
    _refused(
        lambda: officer.request("POST", "/auth/login", json={"message": message, "signature": outsider.sign(message)}),
        401,
        "sign_in_failed",
        "signature",
    )
    invented = SiweMessage.create(
        domain=SiweMessage.parse(message).domain,
        address=dev_account(OFFICER).address,
        uri=SiweMessage.parse(message).uri,
        chain_id=31337,
        nonce="abcdefgh12345678",
    ).text()
    _refused(
        lambda: officer.request("POST", "/auth/login", json={"message": invented, "signature": officer.sign(invented)}),
        401,
        "sign_in_failed",
        "nonce",
    )
    _refused(
        lambda: officer.request("POST", "/auth/login", json={"message": "hello", "signature": officer.sign("hello")}),
        401,
        "sign_in_failed",
        "malformed",
    )


def _token(address: str, *, exp: dt.datetime, secret: str = TOKEN_SECRET) -> str:
    return jwt.encode({"sub": address, "exp": exp, "aud": "civic-ledger-api"}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-token",
        _token(dev_account(OFFICER).address, exp=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)),
        _token(
            dev_account(OFFICER).address,
            exp=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
            secret="another server's secret, 32+ chars long",
        ),
    ],
)
def test_missing_expired_or_forged_tokens_get_401(api: Api, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.get(api.url + "/auth/me", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_a_member_removed_on_chain_loses_access_at_the_next_request(api: Api) -> None:
    newcomer = dev_account(28)
    admin = api.chain.direct(dev_account(ADMIN))
    api.contracts.bodies.add_member(admin, newcomer.address, Role.OFFICER)
    api.node_sees_head()  # sent behind the node's back: it sees the block within its poll interval
    c = api.client(28)
    c.login()
    assert c.request("GET", "/bodies/mine")["myRoles"] == ["officer"]
    api.contracts.bodies.remove_member(admin, newcomer.address)
    api.node_sees_head()
    _refused(lambda: c.request("GET", "/bodies/mine"), 403, "not_authorized")  # same, unexpired token
    assert c.me()["body"] is None


def test_malformed_oversized_and_unknown_requests_get_json_errors(api: Api) -> None:
    r = httpx.post(api.url + "/auth/login", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = httpx.post(api.url + "/auth/login", json={"message": "x", "signature": "0x12"})
    assert r.status_code == 422 and "signature" in r.json()["message"]
    r = httpx.post(api.url + "/auth/login", content=b"x" * 300_000, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    r = httpx.get(api.url + "/no/such/thing")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_openapi_schema_documents_sign_in_with_examples(api: Api) -> None:
    schema = httpx.get(api.url + "/openapi.json").json()
    assert {"/auth/nonce", "/auth/login", "/auth/me", "/health", "/bodies/mine"} <= set(schema["paths"])
    login = schema["components"]["schemas"]["LoginIn"]
    assert login["examples"][0]["message"].startswith("127.0.0.1:8000 wants you to sign in")


def test_production_refuses_to_start_without_a_token_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_HOME=str(tmp_path), LEDGER_ENVIRONMENT="production", LEDGER_BODY="rc-east")
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ledger")), "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert '"invalid_argument"' in proc.stderr and "LEDGER_API_TOKEN_SECRET" in proc.stderr
