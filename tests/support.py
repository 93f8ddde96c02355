"""Shared test support: a small consortium deployed on any backend, and revert helpers."""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.access import RequestInput, Scope
from ledger.chain.bodies import BodyProfile
from ledger.chain.client import Chain, DirectActor
from ledger.chain.compiler import Build
from ledger.chain.connection import in_process
from ledger.chain.deploy import Contracts, deploy
from ledger.errors import ContractRevert
from ledger.ids import BodyKind, Role, code_id, text_hash
from ledger.local.devkeys import DEV_ACCOUNTS, dev_account

HOUSEHOLD_FIELDS = ["head_of_household", "address", "members", "phone", "housing_type", "income_band"]
HEALTH_FIELDS = ["conditions", "medications", "disability_level", "doctor", "insurance_no", "notes"]
DAY = 86_400


@dataclass
class Consortium:
    """Who is who in the test consortium (dev account indices are fixed)."""

    chain: Chain
    c: Contracts
    office: bytes = code_id("office")  # founder, subdistrict office
    rc: bytes = code_id("rc")  # residents' committee, custodian of the records
    rc2: bytes = code_id("rc2")  # another residents' committee under the office (admit_second_committee)
    dept: bytes = code_id("dept")  # civil affairs department
    ps: bytes = code_id("ps")  # public security, emergency body
    household: bytes = code_id("household")
    health: bytes = code_id("health")  # requires consent
    review: bytes = code_id("subsistence_review")
    security: bytes = code_id("public_security")
    record_id: bytes = b"\x11" * 32
    subject: bytes = b"\x22" * 32
    health_record: bytes = b"\x33" * 32

    def acct(self, name: str) -> LocalAccount:
        return dev_account(ACCOUNTS[name])

    def addr(self, name: str) -> str:
        return str(self.acct(name).address)

    def actor(self, name: str) -> DirectActor:
        return self.chain.direct(self.acct(name))

    def request(self, **kw: Any) -> RequestInput:
        base: dict[str, Any] = dict(
            scope=Scope.RECORD,
            fields=0b11,
            purpose=self.review,
            justification_hash=text_hash("case 17"),
            record_id=self.record_id,
        )
        base.update(kw)
        return RequestInput(**base)


ACCOUNTS = {
    "deployer": 0,
    "office_admin": 1,
    "office_admin2": 2,
    "rc_admin": 3,
    "rc_admin2": 4,
    "rc_officer": 5,
    "rc_node": 6,
    "dept_admin": 7,
    "dept_admin2": 8,
    "dept_officer": 9,
    "dept_officer2": 10,
    "ps_admin": 11,
    "ps_admin2": 12,
    "ps_officer": 13,
    "outsider": 14,
    "resident": 15,
    "newcomer": 16,
    "newcomer2": 17,
    "relayer": 18,
    "spare": 19,
    "rc2_admin": 20,
    "rc2_admin2": 21,
    "rc2_officer": 22,
}


def build_consortium(chain: Chain) -> Consortium:
    acct = lambda n: dev_account(ACCOUNTS[n])  # noqa: E731
    deploy(
        chain,
        acct("deployer"),
        founder=code_id("office"),
        founder_profile=BodyProfile(BodyKind.SUBDISTRICT_OFFICE, name_hash=text_hash("Office")),
        founder_admins=[acct("office_admin").address, acct("office_admin2").address],
    )
    k = Consortium(chain, Contracts.of(chain))
    c, office = k.c, k.actor("office_admin")
    deadline = chain.timestamp() + 30 * DAY
    # N=1: the founder's vote admits rc; N=2: rc must vote too; N=3: 2 of 3.
    c.bodies.propose_admission(
        office,
        k.rc,
        BodyProfile(BodyKind.RESIDENTS_COMMITTEE, k.office, text_hash("RC")),
        [k.addr("rc_admin"), k.addr("rc_admin2")],
        deadline,
    )
    p = c.bodies.propose_admission(
        office,
        k.dept,
        BodyProfile(BodyKind.DEPARTMENT, name_hash=text_hash("Dept")),
        [k.addr("dept_admin"), k.addr("dept_admin2")],
        deadline,
    )
    c.bodies.vote(k.actor("rc_admin"), p)
    p = c.bodies.propose_admission(
        office, k.ps, BodyProfile(BodyKind.DEPARTMENT, emergency=True), [k.addr("ps_admin"), k.addr("ps_admin2")], deadline
    )
    c.bodies.vote(k.actor("dept_admin"), p)
    c.bodies.add_member(k.actor("rc_admin"), k.addr("rc_officer"), Role.OFFICER)
    c.bodies.add_member(k.actor("rc_admin"), k.addr("rc_node"), Role.ANCHOR)
    c.bodies.add_member(k.actor("dept_admin"), k.addr("dept_officer"), Role.OFFICER)
    c.bodies.add_member(k.actor("dept_admin"), k.addr("dept_officer2"), Role.OFFICER)
    c.bodies.add_member(k.actor("ps_admin"), k.addr("ps_officer"), Role.OFFICER | Role.EMERGENCY)
    c.records.define_category(office, k.household, False, HOUSEHOLD_FIELDS)
    c.records.define_category(office, k.health, True, HEALTH_FIELDS)
    c.access.define_purpose(office, k.review)
    c.access.define_purpose(office, k.security)
    c.records.register(k.actor("rc_officer"), k.record_id, k.subject, k.household, b"\xc0" * 32)
    c.records.register(k.actor("rc_officer"), k.health_record, k.subject, k.health, b"\xc1" * 32)
    return k


def admit_second_committee(k: Consortium) -> None:
    """Admits rc2, a second residents' committee under the office, with an officer (votes of 3 of 4 bodies)."""
    c = k.c
    p = c.bodies.propose_admission(
        k.actor("office_admin"),
        k.rc2,
        BodyProfile(BodyKind.RESIDENTS_COMMITTEE, k.office, text_hash("RC2")),
        [k.addr("rc2_admin"), k.addr("rc2_admin2")],
        k.chain.timestamp() + 30 * DAY,
    )
    for voter in ("rc_admin", "dept_admin", "ps_admin"):
        if c.bodies.get_proposal(p).executed:
            break
        c.bodies.vote(k.actor(voter), p)
    c.bodies.add_member(k.actor("rc2_admin"), k.addr("rc2_officer"), Role.OFFICER)


def evm_chain(build: Build) -> Chain:
    """An in-process EVM whose development accounts are funded like a local node's."""
    w3 = in_process()
    funder = w3.eth.accounts[0]
    for i in range(DEV_ACCOUNTS):
        w3.eth.send_transaction({"from": funder, "to": dev_account(i).address, "value": 10**21})
    return Chain(w3, build, poll_interval=0.0, fixed_gas=3_000_000)


class Snapshots:
    """evm_snapshot / evm_revert on anvil and eth-tester alike."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    def take(self) -> Any:
        return self.chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]

    def revert(self, snap: Any) -> None:
        self.chain.w3.provider.make_request("evm_revert", [snap])  # type: ignore[arg-type]
        self.chain.sender.nonces.reset()


def advance_time(chain: Chain, seconds: int) -> None:
    """Moves the chain's clock forward and mines a block."""
    w3: Web3 = chain.w3
    if type(w3.provider).__name__ == "EthereumTesterProvider":
        # The in-process chain's pending block takes the wall clock when it is made (after a snapshot is
        # reverted, too), so on a busy machine it can already be past the latest block + ``seconds``; travelling
        # to an earlier time is refused ("space time continuum distortion"). Never travel back: at least
        # ``seconds`` pass, and the tests read the time from the chain, as the contracts do.
        pending = int(w3.eth.get_block("pending")["timestamp"])
        target = max(chain.timestamp() + seconds, pending)
        if target > pending:
            w3.testing.timeTravel(target)
        w3.testing.mine()
    else:
        w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@contextlib.contextmanager
def reverts(error: str, **args: Any) -> Iterator[pytest.ExceptionInfo[ContractRevert]]:
    """Asserts the block raises the contract's custom ``error`` with exactly these arguments."""
    with pytest.raises(ContractRevert) as info:
        yield info
    assert info.value.error == error, f"expected {error}, got {info.value.error}: {info.value}"
    if args:
        got = {k: info.value.args_by_name.get(k) for k in args}
        assert got == args, f"{error} arguments: expected {args}, got {info.value.args_by_name}"


PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_reachable() -> bool:
    """Whether the PostgreSQL server the tests may use answers (trust auth, database test)."""
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


#: Record databases every store and API test runs on.
DATABASES = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards; yields a URL that uses it."""
    import secrets

    import psycopg

    schema = "t_" + secrets.token_hex(6)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            # A connection a test left open would make DROP wait forever: fail loudly instead.
            conn.execute("SET lock_timeout = '20s'")
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def rpc(url: str, method: str, *params: object) -> object:
    """One JSON-RPC call (node controls such as ``evm_setIntervalMining``); its result."""
    import httpx

    r = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10)
    r.raise_for_status()
    return r.json().get("result")


def _port_band() -> Iterator[int]:
    """This test process's ports: a band below the kernel's ephemeral range, one band per xdist worker. A port
    from the ephemeral range (what binding port 0 gives) can be taken between choosing it and listening on it
    by any outgoing connection on the machine, or by the other worker's next choice; these cannot."""
    low, high = 20_000, 32_768
    with contextlib.suppress(OSError, ValueError):
        high = min(high, int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]))
    workers = 4
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % workers
    size = (high - low) // workers
    start = low + worker * size
    first = os.getpid() % size  # another test run beside this one most likely starts elsewhere in the band
    for i in itertools.count():
        yield start + (first + i) % size


_PORTS = _port_band()
_PORTS_LOCK = threading.Lock()


def free_port() -> int:
    """A port free now, from this test process's own band (see ``_port_band``)."""
    from ledger.local.chain_node import port_free

    with _PORTS_LOCK:
        while not port_free(port := next(_PORTS)):
            pass
        return port


def free_port_run(n: int) -> int:
    """The first of ``n`` consecutive free ports (``ledger api up --port`` takes one per demo body)."""
    from ledger.local.chain_node import port_free

    while True:
        first = free_port()
        if all(port_free(first + i) for i in range(1, n)):
            with _PORTS_LOCK:  # the run's other ports are not handed out again
                for _ in range(n - 1):
                    next(_PORTS)
            return first


def random_bytes32() -> bytes:
    return os.urandom(32)
