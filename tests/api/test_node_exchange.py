"""Node-to-node exchange (issue 12, item 2): two bodies' nodes (two API processes, two databases) on one
anvil with 1-second blocks. Civil affairs' officer works at their own node only; the committee's node
enforces the grant, logs the event and answers; the officer's node keeps its own record of the read.
Nodes authenticate each other with their bodies' on-chain node accounts."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.chain.deploy import Contracts
from ledger.client import ApiClient, ApiError
from ledger.config import Settings
from ledger.consortium.registry import format_endpoint
from ledger.devkeys import dev_account
from ledger.disclosure import verify_bundle
from ledger.ids import code_id
from ledger.node import LocalNode, free_port
from ledger.nodes import NodeIdentity, digest
from ledger.services import ApiProcess
from ledger.system import open_chain, up
from tests.api.conftest import CODE_ATTEMPTS, CODE_WINDOW, NONCE_ATTEMPTS, TOKEN_SECRET
from tests.api.test_flows import national_id
from tests.support import rpc

RC_OFFICER, RC_ADMIN, RC_WEST_ADMIN, CA_ADMIN, CA_OFFICER = 6, 4, 7, 10, 12
CA_NODE, PS_NODE = 23, 24  # the node accounts (ANCHOR role) of civil affairs and public security
HOUSEHOLD = {"head_of_household": "Zhou Min", "address": "East Gate Lane 5", "members": 3, "phone": None,
             "housing_type": "public", "income_band": "low"}


@dataclass
class Pair:
    home: Path
    contracts: Contracts
    committee: ApiProcess
    committee_url: str
    department_url: str
    env: dict[str, str]

    def client(self, url: str, who: int) -> ApiClient:
        c = ApiClient(url, dev_account(who))
        c.login()
        return c

    def rows(self, body: str, query: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.home / "store" / f"{body}.db") as db:
            return db.execute(query).fetchall()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    home = tmp_path_factory.mktemp("nodes") / "home"
    settings = Settings(home=home, node_port=free_port())
    up(settings)
    rpc(settings.effective_rpc_url, "evm_setIntervalMining", 1)
    env = {**os.environ, "LEDGER_HOME": str(home), "LEDGER_NODE_PORT": str(settings.node_port),
           "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET, "LEDGER_API_CODE_ATTEMPTS": str(CODE_ATTEMPTS),
           "LEDGER_API_CODE_WINDOW": str(CODE_WINDOW), "LEDGER_API_NONCE_ATTEMPTS": str(NONCE_ATTEMPTS)}
    env.pop("DATABASE_URL", None)  # each node its own database (SQLite files in <home>/store/)
    committee, department = ApiProcess(home, "rc-east"), ApiProcess(home, "civil-affairs")
    try:
        committee_url = committee.up(free_port(), env=env).url
        department_url = department.up(free_port(), env=env).url
        contracts = Contracts.of(open_chain(settings))
        # each body publishes its node's address in the registry, as its admin
        for admin, url in ((RC_ADMIN, committee_url), (CA_ADMIN, department_url)):
            contracts.bodies.update_profile(contracts.chain.direct(dev_account(admin)), b"", format_endpoint(url, None))
        yield Pair(home, contracts, committee, committee_url, department_url, env)
    finally:
        committee.down()
        department.down()
        LocalNode(home).down()


def _granted(pair: Pair) -> tuple[str, ApiClient]:
    """A record at the committee's node and a grant to civil affairs' officer, who asks through their own
    node (forwarded: the committee's node prepares it and keeps the justification; the officer's node
    relays the signed transaction); the committee's admin approves at the committee's node."""
    record_id = pair.client(pair.committee_url, RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
    officer = pair.client(pair.department_url, CA_OFFICER)
    request_id = officer.request_access(scope="record", recordId=record_id, fields=["address", "income_band"],
                                        purpose="subsistence_review", justification="allowance review 2026")
    pair.client(pair.committee_url, RC_ADMIN).approve(request_id, days=30)
    time.sleep(1.0)  # the department's node follows the head every 0.25 s
    return record_id, officer


def test_an_officer_reads_another_bodys_record_through_their_own_node(pair: Pair) -> None:
    record_id, officer = _granted(pair)
    typed = officer.prepare_read(record_id, ["address", "income_band"], "subsistence_review")  # forwarded
    assert typed["message"]["custodian"] == "0x" + code_id("rc-east").hex()
    answer = officer.submit_read(typed, officer.sign_typed(typed))  # forwarded, served by the committee's node
    # the disclosure verifies against the chain
    assert verify_bundle(answer["bundle"], pair.contracts).fields == {"address": "East Gate Lane 5", "income_band": "low"}
    receipt = answer["receipt"]
    # the custodian logged the event; the reader's node kept its side, with the custodian's receipt
    event = pair.rows("rc-east", f"SELECT reader, request_digest, event_hash FROM access_events WHERE seq = "
                                 f"{receipt['seq']}")[0]
    assert event[0] == dev_account(CA_OFFICER).address and event[2] == receipt["eventHash"]
    fetched = pair.rows("civil-affairs", "SELECT request_digest, seq, event_hash, custodian, receipt FROM fetched_reads")
    assert (event[1], receipt["seq"], receipt["eventHash"], receipt["custodian"]) in [f[:4] for f in fetched]
    assert pair.rows("civil-affairs", "SELECT COUNT(*) FROM access_events") == [(0,)]  # no event of its own
    # the request's justification is kept by the custodian, for its admins, and not at the asking node
    author = dev_account(CA_OFFICER).address
    assert pair.rows("rc-east", f"SELECT COUNT(*) FROM free_texts WHERE author = '{author}'")[0][0] >= 1
    assert pair.rows("civil-affairs", "SELECT COUNT(*) FROM free_texts") == [(0,)]
    seen = pair.client(pair.committee_url, RC_ADMIN).request("GET", "/requests", params={"view": "all"})
    justifications = [r["justification"] for r in seen if r["requester"] == author]
    assert justifications and all(j["text"] == "allowance review 2026" and j["matches"] for j in justifications)
    # a replay of the same signed read through the officer's node is refused by the custodian
    with pytest.raises(ApiError) as replay:
        officer.submit_read(typed, officer.sign_typed(typed))
    assert replay.value.status == 409


def _node_post(pair: Pair, path: str, payload: Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(pair.committee_url + path, content=json.dumps(payload, separators=(",", ":")).encode(),
                      headers={"Content-Type": "application/json", **headers}, timeout=30)


def _identity(pair: Pair, who: int, body: str) -> NodeIdentity:
    return NodeIdentity(code_id(body), bytes(dev_account(who).key), pair.contracts.chain.chain_id,
                        pair.contracts.bodies.handle.address)


def test_node_requests_unsigned_forged_stale_or_replayed_are_refused(pair: Pair) -> None:
    record_id, _officer = _granted(pair)
    payload = {"recordId": record_id, "fields": ["address"], "purpose": "subsistence_review",
               "reader": dev_account(CA_OFFICER).address}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    path, to = "/node/reads/prepare", code_id("rc-east")

    def refused(headers: dict[str, str], reason: str) -> None:
        r = _node_post(pair, path, payload, headers)
        assert r.status_code == 401 and r.json()["code"] == "node_unauthenticated", r.text
        assert r.json()["reason"] == reason, r.text

    refused({}, "unsigned")
    # civil affairs' officer is a member, but not its node account; public security's node is not civil affairs'
    refused(_identity(pair, CA_OFFICER, "civil-affairs").headers(to, "POST", path, raw), "signer")
    refused(_identity(pair, PS_NODE, "civil-affairs").headers(to, "POST", path, raw), "signer")
    # signed for another body's node, or over another body of the request
    refused(_identity(pair, CA_NODE, "civil-affairs").headers(code_id("rc-west"), "POST", path, raw), "signer")
    refused(_identity(pair, CA_NODE, "civil-affairs").headers(to, "POST", path, raw + b" "), "signer")
    # signed ten minutes ago
    old = int(time.time()) - 600
    nonce = os.urandom(32)
    d = digest(chain_id=pair.contracts.chain.chain_id, registry=pair.contracts.bodies.handle.address,
               from_body=code_id("civil-affairs"), to_body=to, method="POST", path=path, body=raw, nonce=nonce,
               issued_at=old)
    sig = dev_account(CA_NODE).unsafe_sign_hash(d)
    refused({"X-Node-From": "0x" + code_id("civil-affairs").hex(), "X-Node-Nonce": "0x" + nonce.hex(),
             "X-Node-Issued-At": str(old), "X-Node-Signature": sig.signature.to_0x_hex()}, "stale")
    # the node account's own request passes once; the same request again is a replay
    good = _identity(pair, CA_NODE, "civil-affairs").headers(to, "POST", path, raw)
    first = _node_post(pair, path, payload, good)
    assert first.status_code == 200 and first.json()["typedData"]["message"]["recordId"] == record_id
    refused(good, "replay")
    # a node may ask only for its own body's members
    other = {**payload, "reader": dev_account(RC_WEST_ADMIN).address}
    r = _node_post(pair, path, other, _identity(pair, CA_NODE, "civil-affairs").headers(
        to, "POST", path, json.dumps(other, separators=(",", ":")).encode()))
    assert r.status_code == 403 and r.json()["error"] == "NotMemberOfCaller"


def test_a_stopped_custodian_node_gives_503_and_nothing_else_stops(pair: Pair) -> None:
    record_id, officer = _granted(pair)
    pair.committee.down()
    try:
        with pytest.raises(ApiError) as down:
            officer.prepare_read(record_id, ["address"], "subsistence_review")
        assert down.value.status == 503 and down.value.body["code"] == "node_unavailable"
        assert "rc-east" in down.value.body["message"]
        assert httpx.get(pair.department_url + "/health", timeout=10).status_code == 200
        assert officer.request("GET", "/bodies/mine")["code"] == "civil-affairs"  # its own node works on
    finally:
        pair.committee.up(int(pair.committee_url.rsplit(":", 1)[1]), env=pair.env)
