"""Benchmarks. ``ledger bench gas``: gas used by each on-chain action, on a real node.

Runs on a fresh anvil started in a temporary directory (or on ``--rpc``), with a fresh
deployment, so the figures are those of a first-time action on a clean chain.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ledger.chain.access import RequestInput, Scope
from ledger.chain.blocks import TxReceipt
from ledger.chain.bodies import BodyProfile
from ledger.chain.client import Chain
from ledger.chain.compiler import compile_contracts
from ledger.chain.connection import connect
from ledger.chain.deploy import Contracts, deploy
from ledger.ids import BodyKind, Role, code_id, text_hash
from ledger.local.chain_node import LocalNode, NodeSpec, free_port
from ledger.local.devkeys import dev_account

BATCH_SIZES = (1, 100, 1000, 10_000)


@dataclass(frozen=True)
class GasFigure:
    action: str
    gas: int
    events: int = 1  # for trail anchors: events covered, so gas per event = gas / events

    @property
    def per_event(self) -> float:
        return self.gas / self.events


def measure_gas(chain: Chain, *, progress: Callable[[str], None] = lambda _: None) -> list[GasFigure]:
    """Deploys a fresh consortium on ``chain`` and measures each action once."""
    acct = dev_account
    deploy(
        chain,
        acct(0),
        founder=code_id("office"),
        founder_profile=BodyProfile(BodyKind.SUBDISTRICT_OFFICE),
        founder_admins=[acct(1).address, acct(2).address],
    )
    c = Contracts.of(chain)
    office = chain.direct(acct(1))
    figures: list[GasFigure] = []

    def record(action: str, receipt: TxReceipt, events: int = 1) -> None:
        progress(action)
        figures.append(GasFigure(action, int(receipt["gasUsed"]), events))

    deadline = chain.timestamp() + 86_400
    rc_profile = BodyProfile(BodyKind.RESIDENTS_COMMITTEE, code_id("office"), text_hash("Committee"))
    r = office.send(
        c.bodies.handle,
        "proposeAdmission",
        code_id("rc"),
        rc_profile.as_tuple(),
        [acct(3).address, acct(4).address],
        deadline,
    )
    record("admit a body (1 of 1 votes: proposal admits)", r)
    dept = BodyProfile(BodyKind.DEPARTMENT, name_hash=text_hash("Department"))
    r = office.send(
        c.bodies.handle, "proposeAdmission", code_id("dept"), dept.as_tuple(), [acct(5).address, acct(6).address], deadline
    )
    record("propose admission (2 votes needed)", r)
    proposal = int(c.bodies.handle.one_event(r, "BodyProposed")["proposalId"])
    record("vote that admits a body", c.bodies.vote(chain.direct(acct(3)), proposal))
    rc_admin, dept_admin = chain.direct(acct(3)), chain.direct(acct(5))
    record("add a member", c.bodies.add_member(rc_admin, acct(7).address, Role.OFFICER))
    c.bodies.add_member(dept_admin, acct(8).address, Role.OFFICER)
    c.bodies.add_member(rc_admin, acct(9).address, Role.ANCHOR)
    record(
        "define a category (6 fields)",
        c.records.define_category(office, code_id("household"), False, ["a", "b", "c", "d", "e", "f"]),
    )
    c.access.define_purpose(office, code_id("review"))

    rc_officer, dept_officer = chain.direct(acct(7)), chain.direct(acct(8))
    record_id = os.urandom(32)
    record(
        "register a record", c.records.register(rc_officer, record_id, os.urandom(32), code_id("household"), os.urandom(32))
    )
    relayed = chain.relayed(acct(7), acct(10))
    record(
        "register a record, relayed (EIP-712 via forwarder)",
        relayed.send(
            c.records.handle, "registerRecord", os.urandom(32), os.urandom(32), code_id("household"), os.urandom(32)
        ),
    )
    record("new record version", c.records.update(rc_officer, record_id, 2, os.urandom(32)))
    request = RequestInput(Scope.RECORD, 0b11, code_id("review"), os.urandom(32), record_id=record_id)
    r = dept_officer.send(c.access.handle, "requestAccess", request.as_tuple())
    record("request access", r)
    request_id = int(c.access.handle.one_event(r, "AccessRequested")["requestId"])
    r = rc_admin.send(c.access.handle, "approveRequest", request_id, deadline)
    record("approve (creates a grant)", r)
    grant_id = int(c.access.handle.one_event(r, "GrantCreated")["grantId"])
    record("revoke a grant", rc_admin.send(c.access.handle, "revokeGrant", grant_id))

    c.bodies.define_post(office, code_id("grid_worker"))
    record("publish a grid", c.bodies.define_grid(rc_admin, code_id("grid-1"), "Grid 1"))
    now = chain.timestamp()
    r = rc_admin.send(
        c.bodies.handle, "assignPost", acct(7).address, code_id("grid_worker"), [code_id("grid-1")], now, now + 86_400
    )
    record("assign a post (one grid)", r)
    assignment = int(c.bodies.handle.one_event(r, "PostAssigned")["assignmentId"])
    record("end an assignment (every grant bound to it stops)", rc_admin.send(c.bodies.handle, "endAssignment", assignment))

    # sealed reads: public security (a sealing department) seals its grant; an oversight body extends it
    ps = BodyProfile(BodyKind.DEPARTMENT, name_hash=text_hash("Public security"))
    r = office.send(
        c.bodies.handle, "proposeAdmission", code_id("ps"), ps.as_tuple(), [acct(11).address, acct(12).address], deadline
    )
    for voter in (acct(3), acct(5)):
        proposal = int(c.bodies.handle.one_event(r, "BodyProposed")["proposalId"])
        if not c.bodies.get_proposal(proposal).executed:
            c.bodies.vote(chain.direct(voter), proposal)
    oversight = BodyProfile(BodyKind.OVERSIGHT, name_hash=text_hash("Procuratorate"))
    r = office.send(
        c.bodies.handle,
        "proposeAdmission",
        code_id("proc"),
        oversight.as_tuple(),
        [acct(13).address, acct(14).address],
        deadline,
    )
    proposal = int(c.bodies.handle.one_event(r, "BodyProposed")["proposalId"])
    for voter in (acct(3), acct(5), acct(11)):
        if not c.bodies.get_proposal(proposal).executed:
            c.bodies.vote(chain.direct(voter), proposal)
    ps_admin = chain.direct(acct(11))
    record("let a department seal its reads", c.seals.set_sealer(office, code_id("ps"), True))
    request = RequestInput(Scope.RECORD, 0b1, code_id("review"), os.urandom(32), record_id=record_id)
    r = ps_admin.send(c.access.handle, "requestAccess", request.as_tuple())
    r = rc_admin.send(
        c.access.handle, "approveRequest", int(c.access.handle.one_event(r, "AccessRequested")["requestId"]), deadline
    )
    ps_grant = int(c.access.handle.one_event(r, "GrantCreated")["grantId"])
    r = ps_admin.send(c.seals.handle, "seal", 1, ps_grant, os.urandom(32), chain.timestamp() + 30 * 86_400)
    record("seal a grant's reads", r)
    seal_id = int(c.seals.handle.one_event(r, "Sealed")["sealId"])
    until = c.seals.get(seal_id).until
    record(
        "extend a seal (an oversight body)",
        c.seals.extend(chain.direct(acct(13)), seal_id, until + 30 * 86_400, os.urandom(32)),
    )
    record("release a seal", c.seals.release(ps_admin, seal_id))

    anchor = chain.direct(acct(9))
    record("first access event of a body (sets its sequence slot)", c.trail.anchor_event(anchor, 1, os.urandom(32)))
    record("one immediate access event", c.trail.anchor_event(anchor, 2, os.urandom(32)))
    next_seq = 3
    for size in BATCH_SIZES:
        r = c.trail.anchor_batch(anchor, next_seq, next_seq + size - 1, os.urandom(32))
        record(f"batch anchor of {size} events", r, events=size)
        next_seq += size
    return figures


def run_gas_bench(*, rpc_url: str | None = None, progress: Callable[[str], None] = lambda _: None) -> list[GasFigure]:
    """Measures on ``rpc_url``, or on a fresh anvil that is stopped afterwards."""
    build = compile_contracts()
    if rpc_url:
        return measure_gas(Chain(connect(rpc_url), build), progress=progress)
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        node = LocalNode(Path(tmp))
        spec = NodeSpec("anvil", free_port())
        node.up(spec)
        try:
            return measure_gas(Chain(connect(spec.rpc_url), build), progress=progress)
        finally:
            node.down()


@dataclass(frozen=True)
class StartFigure:
    command: str
    seconds: float  # median wall time of a whole process, interpreter start included


# What each `ledger` command imported at the top before the commands deferred their imports (the
# figure the issue measured: 1.5 s before anything happened), kept as the baseline of the same run.
_EAGER = "import web3, eth_account, httpx, typer, rich, pydantic, fastapi, sqlalchemy, cryptography"


def measure_cli_start(*, repeats: int = 7, progress: Callable[[str], None] = lambda _: None) -> list[StartFigure]:
    """Wall time from exec to exit of the ``ledger`` command, median of ``repeats``, beside the bare
    interpreter and the eager imports of old. A client command is timed against a closed port, so the
    figure is Python's own work (imports, parsing, the client) and not the network's."""
    import socket
    import statistics
    import subprocess
    import sys
    import time

    with socket.socket() as s:  # a port nothing listens on: the client's connection is refused at once
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    exe = [sys.executable, "-c", "import sys; from ledger.cli import main; sys.argv[0] = 'ledger'; main()"]
    cases = [
        ("python -c pass (the interpreter alone)", [sys.executable, "-c", "pass"]),
        ("eager imports of old (web3, fastapi, …)", [sys.executable, "-c", _EAGER]),
        ("ledger --help", [*exe, "--help"]),
        ("ledger trail --help", [*exe, "trail", "--help"]),
        ("ledger trail --code … (client)", [*exe, "trail", "--code", "ABCD-EFGH-JKMN", "--api", closed]),
        ("ledger requests --dev-account 1 (client, signs in)", [*exe, "requests", "--dev-account", "1", "--api", closed]),
    ]
    figures = []
    for name, argv in cases:
        progress(name)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - t0)
        figures.append(StartFigure(name, statistics.median(times)))
    return figures
