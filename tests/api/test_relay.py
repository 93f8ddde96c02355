"""Prepare → sign → submit: an admin manages members with their own signature; the node
only relays. Refusals (rights, signer, replay, expiry, foreign targets) change nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from eth_account.messages import encode_typed_data

from ledger.client.api_client import ApiClient, ApiError
from ledger.ids import Role, code_id
from ledger.local.devkeys import dev_account
from tests.api.conftest import Api

ADMIN, OFFICER, OTHER_ADMIN = 4, 6, 7  # rc-east admin and officer; rc-west admin
NEWCOMER = dev_account(29)


def _refused(call: Callable[[], Any], status: int, code: str) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    assert (info.value.status, info.value.api_code) == (status, code), info.value.body
    return info.value


def _sign(index: int, typed: dict[str, Any]) -> str:
    return "0x" + bytes(dev_account(index).sign_message(encode_typed_data(full_message=typed)).signature).hex()


def _signed_in(api: Api, index: int) -> ApiClient:
    c = api.client(index)
    c.login()
    return c


def test_an_admin_adds_and_removes_a_member_with_their_own_signature(api: Api) -> None:
    admin = _signed_in(api, ADMIN)
    prepared = admin.request("POST", "/bodies/mine/members", json={"account": NEWCOMER.address, "roles": ["officer"]})
    assert prepared["summary"] == f"add {NEWCOMER.address} to rc-east as officer"
    assert prepared["typedData"]["message"]["from"] == dev_account(ADMIN).address
    done = admin.submit(prepared)
    assert done["events"] == ["MemberAdded"]
    assert api.contracts.bodies.member_of(NEWCOMER.address) == (code_id("rc-east"), Role.OFFICER)
    [event] = api.contracts.bodies.handle.logs("MemberAdded", from_block=done["blockNumber"], account=NEWCOMER.address)
    assert event["by"] == dev_account(ADMIN).address  # the chain records the person, not the node

    removed = admin.submit(admin.request("DELETE", f"/bodies/mine/members/{NEWCOMER.address}"))
    assert removed["events"] == ["MemberRemoved"]
    assert api.contracts.bodies.member_of(NEWCOMER.address)[0] == b"\0" * 32


def test_only_admins_of_the_body_may_prepare(api: Api) -> None:
    forwarder = api.chain.contract("CivicForwarder").contract
    nonces = lambda: [forwarder.functions.nonces(dev_account(i).address).call() for i in (OFFICER, OTHER_ADMIN)]  # noqa: E731
    before = nonces()  # nothing is relayed for a refused prepare (blocks come every second regardless)
    officer = _signed_in(api, OFFICER)
    _refused(
        lambda: officer.request("POST", "/bodies/mine/members", json={"account": NEWCOMER.address, "roles": ["admin"]}),
        403,
        "not_authorized",
    )
    # An admin of another body signs in at this node: they manage their own body, never rc-east.
    other = _signed_in(api, OTHER_ADMIN)
    assert other.request("GET", "/bodies/mine")["code"] == "rc-west"
    assert nonces() == before


def test_a_request_signed_by_another_account_than_the_token_is_refused(api: Api) -> None:
    admin, officer = _signed_in(api, ADMIN), _signed_in(api, OFFICER)
    prepared = admin.request("POST", "/bodies/mine/members", json={"account": NEWCOMER.address, "roles": ["officer"]})
    # The admin's signed request, posted with the officer's token.
    typed = prepared["typedData"]
    signature = _sign(ADMIN, typed)
    _refused(
        lambda: officer.request("POST", "/tx/submit", json={"typedData": typed, "signature": signature}),
        403,
        "not_authorized",
    )
    assert api.contracts.bodies.member_of(NEWCOMER.address)[0] == b"\0" * 32


def test_a_replayed_request_is_refused(api: Api) -> None:
    admin = _signed_in(api, ADMIN)
    prepared = admin.request("POST", "/bodies/mine/members", json={"account": NEWCOMER.address, "roles": ["auditor"]})
    body = {"typedData": prepared["typedData"], "signature": _sign(ADMIN, prepared["typedData"])}
    admin.request("POST", "/tx/submit", json=body)
    head = api.chain.block_number()
    _refused(lambda: admin.request("POST", "/tx/submit", json=body), 422, "forward_request_invalid")
    assert api.chain.block_number() == head
    admin.submit(admin.request("DELETE", f"/bodies/mine/members/{NEWCOMER.address}"))  # leave as found


def _expired(t: dict[str, Any]) -> None:
    t["message"]["deadline"] = 1


def _foreign_target(t: dict[str, Any]) -> None:
    t["message"]["to"] = t["domain"]["verifyingContract"]  # the forwarder itself


def _other_chain(t: dict[str, Any]) -> None:
    t["domain"]["chainId"] = 1


@pytest.mark.parametrize(
    "tamper,code",
    [(_expired, "forward_request_invalid"), (_foreign_target, "invalid_argument"), (_other_chain, "invalid_argument")],
)
def test_expired_foreign_or_other_chain_requests_are_refused(
    api: Api, tamper: Callable[[dict[str, Any]], None], code: str
) -> None:
    admin = _signed_in(api, ADMIN)
    prepared = admin.request("POST", "/bodies/mine/members", json={"account": NEWCOMER.address, "roles": ["officer"]})
    changed = copy.deepcopy(prepared)
    tamper(changed["typedData"])
    head = api.chain.block_number()
    _refused(lambda: admin.submit(changed), 422, code)  # validly signed, by the right person, still refused
    assert api.chain.block_number() == head
    assert api.contracts.bodies.member_of(NEWCOMER.address)[0] == b"\0" * 32
