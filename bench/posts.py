"""``ledger bench posts``: the read path with and without the post and grid checks, in one run.

On the system of ``ledger bench reads`` (anvil with 1-second blocks, the demo, rc-east's node), the bench
resident placed in grid 1, the same audited ``POST /reads`` is loaded by ``wrk`` for four readers:

* a grant to civil affairs' caseworker 31 after their post was ended: a grant bound to no assignment, the
  path the contract took before posts existed (no ``assignmentInForce``);
* the same grant to caseworker 12, bound to the assignment they asked under (``assignmentInForce``);
* an own-body read by East Gate's community officer (6), whose post covers the whole committee;
* an own-body read by grid 1's worker (26): ``committeeOf``, ``gridOf`` and ``coversGrid`` on the resident.

The contracts without the checks cannot run beside these (the checks are the contract's), so the
baseline is the path that does not take them. Each point is the median of ``repeats`` runs, the four
alternating within a repeat. The access check's own cost is shown as the gas ``eth_estimateGas`` gives
its ``eth_call`` (no fee is paid: the node asks once per block and question).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.reads import RC_ADMIN, Run, Signer, _median_run, _rpc, _run, bench_system
from ledger.errors import IntegrityFailure

CA_ADMIN, CASEWORKER2, GRID1_WORKER, COMMUNITY_OFFICER = 10, 31, 26, 6
BENCH_NATIONAL_ID = "11010519800101123"


def run_posts_bench(
    *, clients: int, seconds: float, repeats: int, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    from ledger.chain.deploy import Contracts
    from ledger.client.api_client import ApiClient
    from ledger.config import Settings
    from ledger.crypto.subjects import check_character
    from ledger.ids import code_id, field_mask
    from ledger.local.devkeys import dev_account
    from ledger.local.system import open_chain

    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        home = Path(tmp) / "home"
        with bench_system(home, None, progress=progress) as system:
            url, record_id = system.audited, system.record_id

            def client(n: int) -> ApiClient:
                c = ApiClient(url, dev_account(n))
                c.login()
                return c

            progress("the resident placed in grid 1; caseworker 31's post ended, then a grant to them")
            nid = BENCH_NATIONAL_ID + check_character(BENCH_NATIONAL_ID)
            admin = client(RC_ADMIN)
            admin.act("PUT", "/residents/grid", {"nationalId": nid, "grid": "grid-1"})
            no_post = client(CASEWORKER2)
            client(CA_ADMIN).act("DELETE", f"/assignments/{no_post.request('GET', '/assignments/mine')['id']}")
            request_id = no_post.request_access(
                scope="record",
                recordId=record_id,
                fields=["address", "income_band"],
                purpose="subsistence_review",
                justification="benchmark",
            )
            admin.approve(request_id, days=30)
            readers: dict[str, tuple[int, list[str], str]] = {
                "grant, no post": (CASEWORKER2, ["address", "income_band"], "subsistence_review"),
                "grant bound to a post": (12, ["address", "income_band"], "subsistence_review"),
                "own body, whole-body post": (COMMUNITY_OFFICER, ["members"], "grid_management"),
                "own body, grid worker": (GRID1_WORKER, ["members"], "grid_management"),
            }
            signers, tokens, typed_of = {}, {}, {}
            for name, (n, fields, purpose) in readers.items():
                c = no_post if n == CASEWORKER2 else client(n)
                tokens[name] = str(c.login()["accessToken"])
                typed_of[name] = c.prepare_read(record_id, fields, purpose)
                signers[name] = Signer(typed_of[name], bytes(dev_account(n).key))
            contracts = Contracts.of(open_chain(Settings(home=home, rpc_url=system.rpc_url)))
            household = contracts.records.get_category(code_id("household"))
            gas = {}
            for name, (n, fields, purpose) in readers.items():
                m = typed_of[name]["message"]
                data = contracts.access.handle.encode(
                    "checkAccess",
                    dev_account(n).address,
                    bytes.fromhex(record_id[2:]),
                    field_mask(household.field_hashes, fields),
                    code_id(purpose),
                    int(m["grantId"]),
                )
                gas[name] = int(
                    _rpc(
                        system.rpc_url,
                        "eth_estimateGas",
                        {"to": contracts.access.handle.address, "data": "0x" + bytes(data).hex()},
                    ),
                    16,
                )
            runs: dict[str, list[Run]] = {name: [] for name in readers}
            work = Path(tmp)
            for r in range(repeats):
                for name in readers:
                    progress(f"{name}: {clients} clients, repeat {r + 1} of {repeats}")
                    bodies = signers[name].bodies(int(seconds * 4000) + 1000)
                    runs[name].append(_run(name, url, tokens[name], bodies, clients, seconds, work))
    refused = {name: sum(r.errors for r in rs) for name, rs in runs.items() if any(r.errors for r in rs)}
    if refused:
        raise IntegrityFailure(f"reads were refused or failed under load, which the figures would hide: {refused}")
    medians = {name: _median_run(rs) for name, rs in runs.items()}
    base_grant, base_own = medians["grant, no post"].reads_per_s, medians["own body, whole-body post"].reads_per_s
    return {
        "clients": clients,
        "seconds": seconds,
        "repeats": repeats,
        "points": {name: {**asdict(run), "checkGas": gas[name]} for name, run in medians.items()},
        "ratios": {
            "postBoundGrant": round(medians["grant bound to a post"].reads_per_s / base_grant, 3) if base_grant else 0,
            "gridWorker": round(medians["own body, grid worker"].reads_per_s / base_own, 3) if base_own else 0,
        },
    }
