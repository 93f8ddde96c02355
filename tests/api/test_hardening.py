"""Bad input and adversaries at the API's door (issue 14, items 1-4), each a regression test named after
what it pins: no plain-text 500, a streamed body cannot dodge the size limit, a forged X-Forwarded-For
does not reset a limit, sign-in nonces are limited and bounded."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from api.errors import CatchAll
from ledger.client.api_client import ApiClient
from ledger.crypto.siwe import SiweMessage
from ledger.local.devkeys import dev_account
from tests.api.conftest import CODE_ATTEMPTS, CODE_WINDOW, NONCE_ATTEMPTS, Api
from tests.api.test_flows import AUDITOR, CA_OFFICER, RC_ADMIN, granted_record, refused

HUGE = 2**63  # one past the largest sequence number or offset a database column holds


def test_integers_past_their_type_and_impossible_dates_are_refused_as_json_not_500(api: Api) -> None:
    auditor, admin, reader = api.signed_in(AUDITOR), api.signed_in(RC_ADMIN), api.signed_in(CA_OFFICER)
    refused(lambda: auditor.request("GET", "/records", params={"offset": HUGE}), 422, "invalid_request")
    refused(lambda: auditor.request("GET", "/trail", params={"after": HUGE}), 422, "invalid_request")
    refused(lambda: auditor.request("GET", f"/trail/proofs/{HUGE}"), 422, "invalid_request")
    _nid, record_id, _grant, _ = granted_record(api)
    request_id = reader.request_access(
        scope="record",
        recordId=record_id,
        fields=["phone"],
        purpose="subsistence_review",
        justification="for the bounds test",
    )
    refused(
        lambda: admin.request("POST", f"/requests/{request_id}/approve", json={"expiresAt": "0001-01-01T00:00:00Z"}),
        422,
        "invalid_request",
    )
    refused(
        lambda: reader.request(
            "POST",
            "/reads/prepare",
            json={"recordId": record_id, "fields": ["address"], "purpose": "subsistence_review", "emergencyId": 2**256},
        ),
        422,
        "invalid_request",
    )
    # the connection stayed usable: the same client goes on
    assert reader.request("GET", f"/requests/{request_id}")["status"] == "pending"


def test_an_unexpected_exception_is_json_with_an_incident_and_its_message_stays_out_of_the_log(caplog: Any) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("resident 110105196001011239 lives at East Gate Lane 3")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    with caplog.at_level("ERROR", logger="ledger.api"):
        asyncio.run(CatchAll(broken)({"type": "http", "method": "GET", "path": "/x", "headers": []}, receive, send))
    assert sent[0]["status"] == 500
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["code"] == "internal" and body["incident"] in caplog.text
    assert "110105196001011239" not in caplog.text and "RuntimeError" in caplog.text


def test_a_chunked_10_mb_body_is_refused_with_413_without_being_read_whole(api: Api) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(160):  # 10 MB in 64 KB chunks, no Content-Length
            sent += 65536
            yield b"x" * 65536

    with httpx.Client(base_url=api.url, timeout=30) as client:
        try:
            r = client.post("/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
            status, code = r.status_code, r.json()["code"]
        except httpx.HTTPError:  # the node closed the connection while the client still sent: also a refusal
            status, code = 413, "payload_too_large"
    assert (status, code) == (413, "payload_too_large")
    assert sent < 10 * 1024 * 1024  # the node stopped the upload well before its end
    assert api.client().request("GET", "/catalog")["purposes"]  # and still answers


def test_json_nested_too_deep_is_refused_before_any_parser_sees_it(api: Api) -> None:
    officer = api.signed_in(CA_OFFICER)
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000  # would exhaust a recursive parser's stack
    refused(
        lambda: officer.request("POST", "/requests", content=deep, headers={"Content-Type": "application/json"}),
        422,
        "invalid_request",
    )
    brackets_in_strings = json.dumps({"scope": "record", "justification": "[" * 100 + "{" * 100}).encode()
    e = refused(
        lambda: officer.request(
            "POST", "/requests", content=brackets_in_strings, headers={"Content-Type": "application/json"}
        ),
        422,
        "invalid_request",
    )
    assert "nests deeper" not in e.message  # brackets inside strings are not nesting: the usual checks answer
    refused(
        lambda: officer.request("POST", "/reads", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}),
        422,
        "invalid_request",
    )


def test_a_forged_x_forwarded_for_does_not_reset_the_access_code_limit(api: Api) -> None:
    time.sleep(CODE_WINDOW)  # a fresh window
    statuses = []
    with httpx.Client(base_url=api.url, timeout=10) as client:
        for i in range(CODE_ATTEMPTS + 3):
            r = client.post(
                "/trail/by-code", json={"code": "0000-0000-0000-0000-0000"}, headers={"X-Forwarded-For": f"203.0.113.{i}"}
            )
            statuses.append(r.status_code)
    assert statuses[:CODE_ATTEMPTS] == [401] * CODE_ATTEMPTS and set(statuses[CODE_ATTEMPTS:]) == {429}
    time.sleep(CODE_WINDOW)


def test_sign_in_nonces_are_limited_per_client(api: Api) -> None:
    time.sleep(CODE_WINDOW)
    with httpx.Client(base_url=api.url, timeout=10) as client:
        statuses = [
            client.post("/auth/nonce", headers={"X-Forwarded-For": f"198.51.100.{i % 250}"}).status_code
            for i in range(NONCE_ATTEMPTS + 5)
        ]
        limited = client.post("/auth/nonce")
    assert statuses.count(200) == NONCE_ATTEMPTS and statuses[-1] == 429
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited" and limited.headers["Retry-After"]
    time.sleep(CODE_WINDOW)


def test_sign_in_succeeds_during_a_nonce_flood_from_100_addresses(api: Api) -> None:
    """About 90 source addresses × 115 nonces once filled a node-wide cap and locked every member out for five
    minutes. Nonces now vouch for themselves (an HMAC tag): asking for them stores nothing, so a flood from a
    hundred loopback addresses, each up to its own limit, leaves nothing behind, and a member signs in."""
    time.sleep(CODE_WINDOW)
    stored = api.sql("SELECT count(*) FROM signin_nonces")[0][0]

    def flood(source: int) -> list[int]:
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{source}")
        with httpx.Client(base_url=api.url, timeout=30, transport=transport) as client:
            return [client.post("/auth/nonce").status_code for _ in range(NONCE_ATTEMPTS + 1)]

    with ThreadPoolExecutor(16) as pool:
        statuses = [s for answers in pool.map(flood, range(2, 102)) for s in answers]
    assert statuses.count(200) >= 100 * NONCE_ATTEMPTS // 2 and 429 in statuses  # each source up to its own limit
    assert api.sql("SELECT count(*) FROM signin_nonces")[0][0] == stored  # nothing kept for nonces not used
    member = api.signed_in(RC_ADMIN)  # from yet another address, during the flood's window
    assert member.request("GET", "/auth/me")["body"] == "rc-east"
    # a nonce is single-use, and one this node did not make (or altered) is refused
    person = ApiClient(api.url, dev_account(RC_ADMIN))
    issued = person.request("POST", "/auth/nonce")

    def login(nonce: str) -> Any:
        text = SiweMessage.create(
            domain=issued["domain"],
            address=dev_account(RC_ADMIN).address,
            uri=issued["uri"],
            chain_id=issued["chainId"],
            nonce=nonce,
        ).text()
        return person.request("POST", "/auth/login", json={"message": text, "signature": person.sign(text)})

    nonce = issued["nonce"]
    forged = nonce[:-1] + ("0" if nonce[-1] != "0" else "1")
    for bad in (forged, "A" * 58):
        e = refused(lambda bad=bad: login(bad), 401, "sign_in_failed")
        assert "nonce" in e.message
    assert login(nonce)["accessToken"]
    refused(lambda: login(nonce), 401, "sign_in_failed")  # used once
    time.sleep(CODE_WINDOW)


def test_huge_request_headers_are_refused_with_431(api: Api) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    for size in (64 * 1024, 4 * 1024 * 1024):
        with socket.create_connection((host, int(port)), timeout=30) as s:
            head = f"GET /health HTTP/1.1\r\nHost: {host}\r\nX-Padding: ".encode()
            try:
                s.sendall(head + b"a" * size + b"\r\n\r\n")
            except OSError:
                pass  # the node answered and closed while the rest was still being sent
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split()[1] == b"431", answer[:200]
        assert json.loads(rest.split(b"\r\n\r\n", 1)[1])["code"] == "headers_too_large"
    assert httpx.get(api.url + "/health", timeout=10).status_code == 200  # and the node still answers


def test_gas_and_deadline_past_their_types_in_a_relayed_request_are_refused_as_json(api: Api) -> None:
    admin = api.signed_in(RC_ADMIN)
    _nid, _record, grant_id, _ = granted_record(api)
    prepared = admin.request("DELETE", f"/grants/{grant_id}")["typedData"]
    for field, value in (("gas", 2**256), ("gas", 0), ("deadline", 2**48), ("nonce", 2**256)):
        typed = {**prepared, "message": {**prepared["message"], field: value}}
        refused(
            lambda typed=typed: admin.request(
                "POST", "/tx/submit", json={"typedData": typed, "signature": "0x" + "11" * 65}
            ),
            422,
            "invalid_argument",
        )
    refused(lambda: admin.request("POST", "/consent", json={"grantId": 2**256, "given": True}), 422, "invalid_request")
    assert admin.request("GET", f"/grants/{grant_id}")["active"] is True  # nothing was relayed


def test_a_field_the_category_does_not_have_is_refused_by_name_when_asked_for_or_read(api: Api) -> None:
    """Requests and reads name fields; the node turns them into the category's mask, refusing an unknown one
    before anything is prepared (no request on-chain, no read request to sign)."""
    reader = api.signed_in(CA_OFFICER)
    _nid, record_id, _grant, _ = granted_record(api)
    before = len(reader.request("GET", "/requests"))
    for path, extra in (
        ("/requests", {"scope": "record", "justification": "for the unknown field test"}),
        ("/reads/prepare", {}),
    ):
        error = refused(
            lambda p=path, e=extra: reader.request(
                "POST",
                p,
                json={"recordId": record_id, "fields": ["address", "salary"], "purpose": "subsistence_review", **e},
            ),
            422,
            "invalid_input",
        )
        assert "salary" in str(error.body)
    assert len(reader.request("GET", "/requests")) == before
