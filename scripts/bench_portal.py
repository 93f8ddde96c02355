"""The portal's figures, on a fresh local system of its own (anvil on 1-second blocks, rc-east's node):

* page weight per role: JS + CSS (and the HTML shell) as transferred, compressed, measured by Chromium;
* time to the first render of a resident's trail with 1,000 events (first page of 50), beside the API
  call that page makes (same run);
* time of Verify of one event in the browser (the four checks against the chain), beside the same checks
  by ``ledger verify trail`` on the resident's whole bundle in Python.

Medians of repeats: these machines are shared and noisy. Usage: scripts/bench portal [EVENTS]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ledger.chain.deploy import Contracts
from ledger.client.api_client import ApiClient
from ledger.config import Settings
from ledger.crypto.subjects import check_character
from ledger.local.api_processes import ApiProcess
from ledger.local.chain_node import LocalNode, free_port
from ledger.local.devkeys import dev_account
from ledger.local.system import open_chain, up
from ledger.trail.proofs import verify_trail

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
REPEATS = 5
NID = "11010519600101123" + check_character("11010519600101123")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def rpc(url: str, method: str, *params: object) -> None:
    httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    settings = Settings(home=home, node_port=free_port())
    print(f"system in {home}: demo, then {EVENTS} reads of one resident's record", file=sys.stderr)
    up(settings)
    rpc(settings.effective_rpc_url, "evm_setIntervalMining", 1)
    api = ApiProcess(home, "rc-east")
    port = free_port()
    env = {**os.environ, "LEDGER_HOME": str(home), "LEDGER_NODE_PORT": str(settings.node_port)}
    try:
        url = api.up(port, env=env).url
        officer, admin, reader = (ApiClient(url, dev_account(i)) for i in (6, 4, 12))
        for c in (officer, admin, reader):
            c.login()
        [record] = [
            r for r in officer.request("POST", "/records/search", json={"nationalId": NID}) if r["category"] == "household"
        ]
        request_id = reader.request_access(
            scope="record",
            recordId=record["recordId"],
            fields=["address"],
            purpose="subsistence_review",
            justification="benchmark",
        )
        admin.approve(request_id, days=30)
        for i in range(EVENTS):
            reader.read(record["recordId"], ["address"], "subsistence_review")
            if i % 100 == 99:
                print(f"  {i + 1} reads", file=sys.stderr)
        code = officer.request("POST", "/trail/codes", json={"nationalId": NID})["code"]
        time.sleep(4)  # the last batch anchored
        figures = measure(url, home / "keystores", code, settings.effective_rpc_url)
        t0 = time.perf_counter()
        bundle = ApiClient(url).request("POST", "/trail/by-code/bundle", json={"code": code})
        fetched = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = verify_trail(bundle, Contracts.of(open_chain(settings)))
        figures["python_verify_whole_bundle_s"] = round(time.perf_counter() - t0, 3)
        figures["python_bundle_fetch_s"] = round(fetched, 3)
        figures["python_bundle_events"] = report.events
        print(json.dumps(figures, indent=2))
    finally:
        api.down()
        LocalNode(home).down()


def weight(browser: object, url: str, path: str, keystores: Path, keystore: str | None, code: str) -> dict[str, int]:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    kinds = {"js": 0, "css": 0, "html": 0}

    def count(request: object) -> None:
        kind = request.response().headers.get("content-type", "")  # type: ignore[attr-defined]
        for k, media in (("js", "javascript"), ("css", "text/css"), ("html", "text/html")):
            if media in kind:
                kinds[k] += request.sizes()["responseBodySize"]  # type: ignore[attr-defined]

    page.on("requestfinished", count)
    page.goto(url + path)
    if keystore:
        page.set_input_files("#keystore", str(keystores / keystore))
        page.fill("#password", "demo")
        page.locator("form:has(#keystore) button[type=submit]").click()
        page.wait_for_selector("#keystore", state="detached", timeout=60_000)
        page.wait_for_selector("main section.card")
    else:
        page.fill("#code", code)
        page.keyboard.press("Enter")
        page.wait_for_selector("ol.events > li")
        page.locator("button[data-seq]").first.click()
        page.wait_for_selector("ul.checks", timeout=60_000)
    page.wait_for_timeout(500)
    context.close()
    return kinds


def measure(url: str, keystores: Path, code: str, chain: str) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {"events": EVENTS, "repeats": REPEATS}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        out["page_weight_bytes_compressed"] = {
            "resident (incl. Verify)": weight(browser, url, "/resident", keystores, None, code),
            "officer": weight(browser, url, "/officer", keystores, "civil-affairs-officer.json", code),
            "admin": weight(browser, url, "/admin", keystores, "rc-east-admin.json", code),
            "auditor": weight(browser, url, "/auditor", keystores, "auditor-auditor.json", code),
        }
        renders, apis, verifies = [], [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            httpx.post(url + "/trail/by-code", json={"code": code, "limit": 50}, timeout=30).raise_for_status()
            apis.append(time.perf_counter() - t0)
            context = browser.new_context()
            page = context.new_page()
            page.goto(url + "/resident")
            page.fill("#code", code)
            t0 = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_selector("ol.events > li")
            renders.append(time.perf_counter() - t0)
            item = page.locator("ol.events > li").first
            t0 = time.perf_counter()
            item.locator("button[data-seq]").click()
            item.locator("ul.checks").wait_for(timeout=60_000)
            verifies.append(time.perf_counter() - t0)
            assert item.locator("li.fail").count() == 0, item.inner_text()
            context.close()
        browser.close()
    med = lambda xs: round(statistics.median(xs), 3)  # noqa: E731
    out["trail_first_render_s"] = med(renders)
    out["trail_api_call_s"] = med(apis)
    out["verify_one_event_in_browser_s"] = med(verifies)
    return out


if __name__ == "__main__":
    main()
