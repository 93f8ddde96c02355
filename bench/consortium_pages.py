"""``ledger bench consortium-pages``: what people wait for in the portal across seven nodes, each beside its
API call or its one-node page in the same run (``scripts/bench portal`` measures one node's page weights).

On a system of its own (anvil with 1-second blocks, the demo consortium, seven bodies' nodes on SQLite,
each published in the registry), in Debian's Chromium driven by Playwright:

1. **The resident's page** with ``events`` reads of their record (civil affairs' officer, through
   her own node): from pressing Enter on the access code to every entry of the first page verified
   in the browser against the chain (hash, signature, inclusion proof, the node's signed head),
   beside the API call that page makes first (``POST /trail/by-code/consortium``, timed from Python after
   one untimed call, so that both sides find the nodes' connections and caches warm).
2. **The auditor's dashboard** at the auditor body's node, gathered from the seven nodes: from opening
   the page (signed in) to the per-body table drawn, beside the same auditor's dashboard at rc-east's
   node (its own figures only, no node asked).

Each figure is the median of ``repeats`` runs, the two sides alternating.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

#: The seven bodies with a node, with the admin who publishes it (dev account indices).
NODES = {
    "rc-east": 4,
    "rc-west": 7,
    "subdistrict": 1,
    "civil-affairs": 10,
    "public-security": 13,
    "auditor": 16,
    "procuratorate": 33,
}
RC_OFFICER, RC_ADMIN, CA_OFFICER = 6, 4, 12
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGE = 50  # entries on the resident's first page


def _median_ms(ts: list[float]) -> float:
    return round(statistics.median(ts) * 1000, 1)


def run_portal_bench(
    *, events: int = 1000, repeats: int = 3, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from bench.reads import HOUSEHOLD, TOKEN_SECRET
    from ledger.chain.deploy import Contracts
    from ledger.client.api_client import ApiClient
    from ledger.crypto.subjects import check_character
    from ledger.local.api_processes import ApiProcess
    from ledger.local.chain_node import LocalNode, free_port
    from ledger.local.devkeys import dev_account
    from ledger.local.system import open_chain, up
    from ledger.network.registry import format_endpoint

    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        from ledger.config import Settings

        home = Path(tmp) / "home"
        settings = Settings(home=home, node_port=free_port())
        progress("starting anvil and the demo consortium")
        up(settings)
        env = {
            **os.environ,
            "LEDGER_HOME": str(home),
            "LEDGER_NODE_PORT": str(settings.node_port),
            "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET,
            "LEDGER_API_TOKEN_TTL": "3600",
            "LEDGER_API_NONCE_ATTEMPTS": "1000",
            "LEDGER_API_CODE_ATTEMPTS": "1000",
        }
        env.pop("DATABASE_URL", None)
        nodes = {body: ApiProcess(home, body) for body in NODES}
        try:
            progress(f"starting the nodes of {', '.join(NODES)}")
            urls = {body: p.up(free_port(), env=env).url for body, p in nodes.items()}
            c = Contracts.of(open_chain(settings))
            for body, admin in NODES.items():
                c.bodies.update_profile(c.chain.direct(dev_account(admin)), b"", format_endpoint(urls[body], None))

            def client(body: str, who: int) -> ApiClient:
                cl = ApiClient(urls[body], dev_account(who))
                cl.login()
                return cl

            first17 = "11010519800303127"
            nid = first17 + check_character(first17)
            record = client("rc-east", RC_OFFICER).register_record("household", nid, HOUSEHOLD)
            officer = client("civil-affairs", CA_OFFICER)
            asked = officer.request_access(
                scope="record", recordId=record, fields=["address"], purpose="subsistence_review", justification="bench"
            )
            client("rc-east", RC_ADMIN).approve(asked, days=30)
            time.sleep(1.5)  # civil affairs' node follows the head
            progress(f"{events} reads of the resident's record, through civil affairs' node")
            readers = [client("civil-affairs", CA_OFFICER) for _ in range(4)]

            def reads_by(i: int) -> None:  # one client a thread: a client's connection is not shared
                for _ in range(i, events, len(readers)):
                    readers[i].read(record, ["address"], "subsistence_review")

            with ThreadPoolExecutor(len(readers)) as pool:
                list(pool.map(reads_by, range(len(readers))))
            code = client("rc-east", RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
            resident = ApiClient(urls["rc-east"])
            progress("waiting until every read is anchored")
            deadline = time.monotonic() + 300
            while True:
                page = resident.request("POST", "/trail/by-code", json={"code": code, "limit": 1})
                if page["total"] >= events and page["events"][0]["anchor"] is not None:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("the reads were not anchored within 5 minutes")
                time.sleep(1)

            keystore = home / "keystores" / "auditor-auditor.json"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
                try:
                    out: dict[str, Any] = {"events": events, "repeats": repeats, "nodes": len(NODES)}
                    progress("the resident's page, and its API call")
                    api_s, verified_s = [], []
                    resident.request("POST", "/trail/by-code/consortium", json={"code": code})  # warm, untimed
                    for _ in range(repeats):
                        t0 = time.perf_counter()
                        answer = resident.request("POST", "/trail/by-code/consortium", json={"code": code})
                        api_s.append(time.perf_counter() - t0)
                        shown = len(answer["events"])
                        context = browser.new_context(viewport={"width": 360, "height": 780})
                        page = context.new_page()
                        page.goto(urls["rc-east"] + "/resident")
                        page.fill("#code", code)
                        t0 = time.perf_counter()
                        page.keyboard.press("Enter")
                        passed = page.locator("ol.events > li[data-verified='passed']")
                        until = time.monotonic() + 600
                        while passed.count() < shown:  # polled from here: the page's policy allows no eval
                            if time.monotonic() > until:
                                raise TimeoutError("the resident's page did not verify its entries in 10 minutes")
                            time.sleep(0.05)
                        verified_s.append(time.perf_counter() - t0)
                        if page.locator("ol.events > li[data-verified='failed']").count():
                            raise RuntimeError("an entry failed verification in the benchmark")
                        context.close()
                    out["resident"] = {
                        "entries": shown,
                        "apiMs": _median_ms(api_s),
                        "allVerifiedMs": _median_ms(verified_s),
                        "perEntryMs": round(_median_ms(verified_s) / max(shown, 1), 1),
                    }
                    progress("the auditor's dashboard: every node's, and one node's")
                    took: dict[str, list[float]] = {"consortium": [], "oneNode": []}
                    for _ in range(repeats):
                        for way, body in (("consortium", "auditor"), ("oneNode", "rc-east")):
                            context = browser.new_context(viewport={"width": 1100, "height": 900})
                            page = context.new_page()
                            page.goto(urls[body] + "/auditor")
                            page.set_input_files("#keystore", str(keystore))
                            page.fill("#password", "demo")
                            page.locator("form:has(#password) button[type=submit]").click()
                            page.wait_for_selector("#password", state="detached")
                            t0 = time.perf_counter()
                            page.reload()  # signed in for the tab: this is the page as the auditor opens it
                            page.wait_for_selector("#stats", timeout=120_000)
                            took[way].append(time.perf_counter() - t0)
                            context.close()
                    out["dashboard"] = {way: _median_ms(ts) for way, ts in took.items()}
                    out["dashboard"]["ratio"] = round(out["dashboard"]["consortium"] / out["dashboard"]["oneNode"], 2)
                    return out
                finally:
                    browser.close()
        finally:
            for proc in nodes.values():
                proc.down()
            LocalNode(home).down()
