"""The Python chain client against a real anvil: concurrent senders, re-sync after a crash,
reverts of mined transactions, and PoA/BFT block headers."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from ledger.chain.client import Chain
from ledger.chain.compiler import Build
from ledger.chain.connection import connect
from ledger.errors import NotAuthorized
from ledger.ids import Role
from ledger.local.chain_node import LocalNode, NodeSpec
from ledger.local.devkeys import dev_account
from tests.support import Consortium, build_consortium, free_port

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSpec]:
    local = LocalNode(tmp_path_factory.mktemp("client-node"))
    spec = local.up(NodeSpec("anvil", free_port())).spec
    yield spec
    local.down()


@pytest.fixture(scope="module")
def k(node: NodeSpec, build: Build) -> Consortium:
    return build_consortium(Chain(connect(node.rpc_url), build, poll_interval=0.02))


def test_concurrent_relays_through_one_relayer_account(k: Consortium) -> None:
    """A body's node relays many officers' requests at once from one account: no nonce collides,
    and each officer's own requests (sequential forwarder nonces) all go through too."""
    officers = [dev_account(i) for i in range(20, 24)]
    for officer in officers:
        k.c.bodies.add_member(k.actor("rc_admin"), officer.address, Role.OFFICER)
    relayer = k.acct("relayer").address
    before = k.chain.w3.eth.get_transaction_count(relayer)
    jobs = [(officer, os.urandom(32)) for officer in officers for _ in range(4)]

    def register(job: tuple[Any, bytes]) -> int:
        officer, record_id = job
        actor = k.chain.relayed(officer, k.acct("relayer"))
        receipt = actor.send(k.c.records.handle, "registerRecord", record_id, os.urandom(32), k.household, os.urandom(32))
        return int(k.chain.w3.eth.get_transaction(receipt["transactionHash"])["nonce"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        nonces = list(pool.map(register, jobs))
    assert sorted(nonces) == list(range(before, before + len(jobs)))
    for _, record_id in jobs:
        assert k.c.records.get_record(record_id).custodian == k.rc
    for officer in officers:
        assert k.c.chain.contract("CivicForwarder").view("nonces", officer.address) == 4


def test_a_new_process_and_a_stale_cache_both_resync_the_nonce(k: Consortium, node: NodeSpec, build: Build) -> None:
    admin = k.acct("office_admin")
    first = Chain(connect(node.rpc_url), build, k.chain.manifest, poll_interval=0.02)
    first.sender.transact(admin, admin.address, b"")  # caches the next nonce
    # Another process (or this one restarted after a crash) sends from the same account.
    second = Chain(connect(node.rpc_url), build, k.chain.manifest, poll_interval=0.02)
    second.sender.transact(admin, admin.address, b"")
    second.sender.transact(admin, admin.address, b"")
    # The first client's cached nonce is now too low: the node refuses, it re-reads, it succeeds.
    receipt = first.sender.transact(admin, admin.address, b"")
    assert receipt["status"] == 1
    assert (
        k.chain.w3.eth.get_transaction(receipt["transactionHash"])["nonce"]
        == k.chain.w3.eth.get_transaction_count(admin.address) - 1
    )


def test_a_mined_revert_is_named_by_its_custom_error(k: Consortium) -> None:
    """With gas given (no estimation), the refusal happens on-chain; the client replays it to name it."""
    outsider = k.acct("outsider")
    data = k.c.bodies.handle.encode("addMember", outsider.address, int(Role.ADMIN))
    with pytest.raises(NotAuthorized) as info:
        k.chain.sender.transact(outsider, k.c.bodies.handle.address, data, gas=200_000)
    assert info.value.error == "BodyRegistryUnauthorized"
    assert info.value.args_by_name == {"account": outsider.address, "neededRoles": int(Role.ADMIN)}
    assert not k.c.bodies.has_roles(outsider.address, Role.ADMIN)


class _PoaProxy(BaseHTTPRequestHandler):
    """Forwards JSON-RPC to anvil, padding block extraData to 97 bytes as QBFT/Clique headers have."""

    upstream = ""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        reply: Any = requests.post(self.upstream, data=body, headers={"Content-Type": "application/json"}).json()
        for item in reply if isinstance(reply, list) else [reply]:
            result = item.get("result")
            if isinstance(result, dict) and "extraData" in result:
                result["extraData"] = "0x" + "ab" * 97
        raw = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


def test_poa_headers_are_detected_and_read(node: NodeSpec) -> None:
    handler = type("Proxy", (_PoaProxy,), {"upstream": node.rpc_url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        plain = connect(url, poa=False)
        with pytest.raises(Exception, match="extraData"):
            plain.eth.get_block("latest")
        w3 = connect(url)  # detects it
        block = w3.eth.get_block("latest")
        assert len(block["proofOfAuthorityData"]) == 97
    finally:
        server.shutdown()
