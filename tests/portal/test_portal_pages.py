"""The portal as its users meet it: a tampered event fails Verify visibly; both languages with no
untranslated text, the choice remembered; the resident's flow by keyboard alone; axe-core finds no
serious or critical violation on any page; nothing is loaded from outside the node; a screenshot
of every page in both languages."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from api.portal.pages import PAGES
from ledger.client.api_client import ApiError
from ledger.local.devkeys import dev_account
from tests.api.conftest import Api
from tests.api.test_flows import HOUSEHOLD, RC_ADMIN, RC_OFFICER, granted_record, national_id
from tests.api.test_posts import GRID1_WORKER, GRID2_WORKER
from tests.portal.conftest import Portal, unlock
from tests.portal.test_portal_flow import wait_anchored

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "api" / "portal" / "static" / "i18n"


@pytest.fixture(scope="module")
def resident_code(system: Api) -> Iterator[dict[str, Any]]:
    """A resident with two reads of their record by the civil affairs officer, and their access code."""
    nid, record_id, _grant, reader = granted_record(system)
    seqs = [reader.read(record_id, ["address"], "subsistence_review")["receipt"]["seq"] for _ in range(2)]
    code = system.signed_in(RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    yield {"code": code, "seqs": seqs}


def open_trail(portal: Portal, code: str, **kw: Any) -> Any:
    page = portal.page(**kw)
    page.code = code
    page.goto(portal.url + "/resident")
    page.fill("#code", code)
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.events > li")
    return page


def test_verify_fails_visibly_when_the_served_event_was_altered(
    portal: Portal, system: Api, resident_code: dict[str, Any]
) -> None:
    page = open_trail(portal, resident_code["code"])
    wait_anchored(page)
    seq = resident_code["seqs"][0]
    # the node's operator edits the stored event: the purpose says something else now
    db = system.settings.home / "store" / "rc-east.db"
    with sqlite3.connect(db) as conn:
        changed = conn.execute("UPDATE access_events SET purpose = 'statistics' WHERE seq = ?", (seq,)).rowcount
    assert changed == 1
    try:
        page = open_trail(portal, resident_code["code"])
        # flagged as soon as the trail opens, before anyone presses Verify, in words, with nothing reassuring beside
        item = page.locator(f"ol.events > li[data-seq='{seq}'][data-verified='failed']")
        item.wait_for(timeout=60_000)
        assert "statistics" in item.inner_text()
        failed = item.locator("ul.checks li.fail").all_inner_texts()
        assert "The record of this read was changed after it was made." in failed
        assert "failed verification" in item.locator("p.msg.error").inner_text()
        assert "On the shared ledger" not in item.inner_text() and "Verified" not in item.inner_text()
        portal.shot(page, "resident-tampered-en")
        # an untouched event of the same resident still verifies, by itself; and again when asked
        other = page.locator(f"ol.events > li[data-seq='{resident_code['seqs'][1]}']")
        page.wait_for_selector(f"ol.events > li[data-seq='{resident_code['seqs'][1]}'][data-verified='passed']")
        other.locator("button[data-seq]").click()
        other.locator("ul.checks").wait_for()
        assert other.locator("li.fail").count() == 0
    finally:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE access_events SET purpose = 'subsistence_review' WHERE seq = ?", (seq,))


def visible_text(page: Any) -> str:
    return str(page.evaluate("document.body.innerText"))


def test_both_languages_everywhere_with_no_untranslated_text(portal: Portal, resident_code: dict[str, Any]) -> None:
    en = json.loads((CATALOGUES / "en.json").read_text())
    zh = json.loads((CATALOGUES / "zh-CN.json").read_text())
    assert set(en) == set(zh)
    assert all(set(re.findall(r"\{\w+\}", en[k])) == set(re.findall(r"\{\w+\}", zh[k])) for k in en)
    staff = {"officer": "civil-affairs-officer.json", "admin": "rc-east-admin.json", "auditor": "auditor-auditor.json"}
    for lang in ("zh-CN", "en"):
        home = portal.page(lang=lang)
        home.goto(portal.url + "/")
        home.wait_for_selector(".roles")
        trail = open_trail(portal, resident_code["code"], lang=lang)
        pages = {"home": home, "resident-trail": trail}
        for name, keystore in staff.items():
            page = portal.page(lang=lang)
            portal.sign_in(page, f"/{name}", keystore)
            page.wait_for_selector("main section.card")
            pages[name] = page
        for name, page in pages.items():
            text = visible_text(page)
            assert "⟦" not in text, f"{name} ({lang}) shows an untranslated key"
            assert not re.search(r"0x[0-9a-fA-F]{40}", text), f"{name} ({lang}) shows an account as hex"
            assert page.evaluate("document.documentElement.lang") == lang
            if lang == "zh-CN":  # labels, purposes, bodies and fields in Chinese
                assert re.search(r"[\u4e00-\u9fff]", text)
            portal.shot(page, f"{name}-{lang}")
            # the header links every page the server lists (one list: pages.PAGES), marking this one
            links = page.eval_on_selector_all("header nav a", "as => as.map(a => a.getAttribute('href'))")
            assert links == [f"/{p}" for p in PAGES]
            here = page.eval_on_selector_all("header nav a[aria-current=page]", "as => as.map(a => a.textContent)")
            assert len(here) == (0 if name == "home" else 1)
        trail_text = visible_text(trail)
        assert ("民政局" if lang == "zh-CN" else "Civil Affairs Bureau") in trail_text
        assert ("低保审核" if lang == "zh-CN" else "subsistence allowance review") in trail_text
    # the switch, on a page: it changes every label at once, and is remembered on the next visit
    page = portal.page(lang=None)
    page.goto(portal.url + "/resident")
    page.wait_for_selector("#code")
    assert page.get_by_role("button", name="查看谁看过我的数据").count() == 1  # zh-CN by default
    page.select_option("#lang", "en")
    page.get_by_role("button", name="Show who viewed my data").wait_for()
    page.reload()
    page.get_by_role("button", name="Show who viewed my data").wait_for()
    assert "⟦" not in visible_text(page)


def test_the_residents_flow_by_keyboard_alone(portal: Portal, resident_code: dict[str, Any]) -> None:
    page = portal.page()
    page.goto(portal.url + "/resident")
    page.wait_for_selector("#code")

    def tab_to(predicate: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"(() => {{ const a = document.activeElement; return !!a && ({predicate}); }})()"):
                return
        raise AssertionError(f"no focusable element matching {predicate}")

    tab_to("a.id === 'code'")
    page.keyboard.type(resident_code["code"])
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.events > li")
    tab_to("a.matches('button[data-seq]')")
    seq = page.evaluate("document.activeElement.dataset.seq")
    page.keyboard.press("Enter")
    item = page.locator(f"ol.events > li[data-seq='{seq}']")
    item.locator("ul.checks").wait_for()
    assert item.locator("ul.checks li").count() >= 4
    # focus is visible where it stands (a 3px outline)
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert outline == "3px"


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_axe_core_finds_no_serious_or_critical_violation(portal: Portal, resident_code: dict[str, Any]) -> None:
    pages = []
    home = portal.page()
    home.goto(portal.url + "/")
    home.wait_for_selector(".roles")
    pages.append(("home", home))
    sign_in = portal.page(lang="zh-CN")
    sign_in.goto(portal.url + "/resident")
    sign_in.wait_for_selector("#code")
    pages.append(("resident sign-in", sign_in))
    pages.append(("resident trail", open_trail(portal, resident_code["code"], width=360, height=780)))
    for name, keystore in (
        ("officer", "civil-affairs-officer.json"),
        ("admin", "rc-east-admin.json"),
        ("auditor", "auditor-auditor.json"),
    ):
        page = portal.page()
        portal.sign_in(page, f"/{name}", keystore)
        page.wait_for_selector("main section.card")
        pages.append((name, page))
    for name, page in pages:
        bad = axe_violations(page)
        assert bad == [], f"{name}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']}" for v in bad)


def test_every_served_page_and_asset_stays_on_the_node(portal: Portal) -> None:
    files = [
        "/",
        "/resident",
        "/officer",
        "/admin",
        "/auditor",
        "/docs",
        "/redoc",
        "/static/portal.css",
        "/vendor/ethers.js",
    ]
    files += [f"/static/js/{p.name}" for p in (ROOT / "api" / "portal" / "static" / "js").glob("*.js")]
    external = re.compile(r"""(?:src|href)\s*=\s*["']https?://|url\(\s*["']?https?://|import\s*\(?\s*["']https?://""")
    for path in files:
        r = httpx.get(portal.url + path, timeout=10)
        assert r.status_code == 200, path
        csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
        assert csp["script-src"] == "'self'" and csp["default-src"] == "'none'", path
        assert not external.search(r.text), f"{path} loads something from outside the node"
    assert httpx.get(portal.url + "/vendor/anything.js").status_code == 404


def test_the_token_lives_in_session_storage_and_no_key_is_stored(portal: Portal) -> None:
    page = portal.page()
    portal.sign_in(page, "/officer", "civil-affairs-officer.json")
    page.wait_for_selector("#nid")
    storage = page.evaluate("({s: {...sessionStorage}, l: {...localStorage}})")
    # the session token, and the keystore file as issued (encrypted by its password) for a reload in this tab
    assert set(storage["s"]) == {"cl.token", "cl.keystore"} and set(storage["l"]) <= {"cl.lang"}
    assert storage["s"]["cl.keystore"] == (portal.keystores / "civil-affairs-officer.json").read_text()
    key = Account.decrypt(storage["s"]["cl.keystore"], "demo").hex().removeprefix("0x")
    dump = json.dumps(storage).lower()
    assert "privatekey" not in dump and '"demo"' not in dump and key not in dump
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("#keystore")
    assert page.evaluate("sessionStorage.length") == 0


def test_a_resident_with_their_own_key_gives_consent_in_the_browser(portal: Portal, system: Api, tmp_path: Path) -> None:
    from eth_account import Account

    nid, record_id, grant_id, reader = granted_record(system, category="social_assistance", fields=["programme"])
    resident = Account.create()
    keystore = tmp_path / "resident.json"
    keystore.write_text(json.dumps(Account.encrypt(resident.key, "demo", kdf="scrypt", iterations=2**14)))
    system.signed_in(RC_OFFICER).act("POST", "/residents", {"account": resident.address, "nationalId": nid})
    with pytest.raises(Exception, match="consent"):
        reader.read(record_id, ["programme"], "subsistence_review")

    page = portal.page()
    page.goto(portal.url + "/resident")
    page.locator("details").last.locator("summary").click()
    unlock(page, keystore)
    item = page.locator(f"#consents li[data-consent='{grant_id}']")
    assert "Civil Affairs Bureau asks to read your data" in item.inner_text()
    assert "subsistence allowance review" in item.inner_text()
    item.locator(f"[data-give='{grant_id}']").click()
    page.wait_for_selector("text=You agreed: Civil Affairs Bureau may now read what was granted.")
    assert page.locator("#consents").count() == 0
    out = reader.read(record_id, ["programme"], "subsistence_review")
    assert [f["name"] for f in out["bundle"]["fields"]] == ["programme"]
    assert page.errors == []


def test_a_phone_at_200_percent_text_needs_no_sideways_scrolling(portal: Portal, resident_code: dict[str, Any]) -> None:
    for lang in ("zh-CN", "en"):
        page = open_trail(portal, resident_code["code"], lang=lang, width=360, height=780)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        page.wait_for_timeout(100)
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{lang}: the page is {widths[0]} px wide on a {widths[1]} px screen"
        portal.shot(page, f"resident-phone-200pct-{lang}")


WALLET = """
window.ethereum = {
  isTestWallet: true,
  async request({ method, params }) {
    const answer = JSON.parse(await window.walletRequest(method, JSON.stringify(params || [])));
    if (answer.error) { const e = new Error(answer.error.message); e.code = answer.error.code; throw e; }
    return answer.result;
  },
  on() {}, removeListener() {},
};
"""


def test_an_officer_signs_with_an_injected_eip1193_wallet(portal: Portal, system: Api) -> None:
    """The browser's own wallet (window.ethereum) signs in and signs actions; the key stays in the wallet
    (here a stand-in that signs with eth-account outside the page, as a wallet extension would)."""
    from eth_account.messages import encode_defunct, encode_typed_data

    from ledger.local.devkeys import dev_account

    wallet = dev_account(12)  # the civil affairs officer
    asked: list[str] = []

    def answer(method: str, params_json: str) -> str:
        params = json.loads(params_json)
        asked.append(method)
        if method in ("eth_requestAccounts", "eth_accounts"):
            return json.dumps({"result": [wallet.address]})
        if method == "eth_chainId":
            return json.dumps({"result": hex(system.chain.chain_id)})
        if method == "personal_sign":
            text = bytes.fromhex(params[0][2:]).decode() if params[0].startswith("0x") else params[0]
            return json.dumps({"result": "0x" + bytes(wallet.sign_message(encode_defunct(text=text)).signature).hex()})
        if method == "eth_signTypedData_v4":
            typed = json.loads(params[1])
            return json.dumps(
                {"result": "0x" + bytes(wallet.sign_message(encode_typed_data(full_message=typed)).signature).hex()}
            )
        return json.dumps({"error": {"code": 4200, "message": f"unsupported {method}"}})

    page = portal.page()
    page.expose_function("walletRequest", answer)
    page.add_init_script(WALLET)
    page.goto(portal.url + "/officer")
    page.get_by_role("button", name="Use my browser wallet").click()
    page.wait_for_selector("#nid")
    page.locator("main .lead details summary").click()  # the account, behind Details
    assert wallet.address in page.locator("main .lead").inner_text()
    page.fill("#nid", "110106197511203354")  # rc-west's resident: found from the chain, kept by rc-west
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_selector("tr[data-custodian='rc-west']")
    assert page.locator("tr[data-custodian]").count() == 2
    assert "West Lake Residents' Committee" in page.locator("tr[data-custodian='rc-west']").first.inner_text()
    page.fill("#nid", "110105197001011233")  # nobody's
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_selector("text=No records of this resident at any body.")
    nid, record_id, _grant, _reader = granted_record(system)
    page.fill("#nid", nid)
    page.get_by_role("button", name="Find", exact=True).click()
    page.locator("button[data-read]").first.click()
    page.check("#read-fields input[value=address]")
    page.select_option("#read-purpose", "subsistence_review")
    page.get_by_role("button", name="Sign and read").click()
    page.wait_for_selector("#read-result")
    assert page.locator("#read-result .tag.ok").count() == 1
    assert "personal_sign" in asked and "eth_signTypedData_v4" in asked
    assert page.errors == []


def test_the_api_docs_render_with_nothing_from_outside_the_node(portal: Portal) -> None:
    """Swagger UI and ReDoc come from the pinned npm install: on a network with no internet they still work."""
    for path, ready in (("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")):
        page = portal.page()
        loaded: list[str] = []  # answers from outside the node: none may arrive
        page.on("response", lambda r: None if r.url.startswith((portal.url, "data:", "blob:")) else loaded.append(r.url))  # noqa: B023
        page.goto(portal.url + path)
        assert "Civic Ledger API" in page.wait_for_selector(ready).inner_text()
        assert page.locator("text=/reads").count() > 0
        assert loaded == [] and page.errors == [], (path, loaded, page.errors)


def test_no_page_logs_an_error_or_fails_a_request(portal: Portal) -> None:
    """Every page, the API's docs included, signed out and (staff pages) signed in: no console error, no failed
    request, no 4xx or 5xx (the favicon included)."""
    signed_in = {
        "/officer": "civil-affairs-officer.json",
        "/admin": "rc-east-admin.json",
        "/auditor": "auditor-auditor.json",
    }
    for path in ("/", "/resident", "/officer", "/admin", "/auditor", "/docs", "/redoc"):
        page = portal.page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)  # noqa: B023
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))  # noqa: B023
        page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)  # noqa: B023
        if path in signed_in:
            portal.sign_in(page, path, signed_in[path])
            page.wait_for_selector("main section.card")
        else:
            page.goto(portal.url + path)
            page.wait_for_load_state("networkidle")
        page.wait_for_load_state("networkidle")
        icon = page.evaluate("fetch('/favicon.ico').then(r => r.status)")
        assert icon == 200
        assert problems == [] and page.errors == [], (path, problems, page.errors)  # type: ignore[attr-defined]


def test_a_resident_on_a_phone_stays_signed_in_for_the_tab_and_the_code_is_never_kept(portal: Portal, system: Api) -> None:
    nid, record_id, _grant, reader = granted_record(system)
    reader.read(record_id, ["address"], "subsistence_review")
    officer = system.signed_in(RC_OFFICER)
    code = officer.request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    page = open_trail(portal, code, width=360, height=780)
    storage = json.dumps(page.evaluate("({...sessionStorage, ...localStorage})"))
    assert "cl.trail" in storage and code not in storage and code.replace("-", "") not in storage
    # a reload in the same tab: the trail again, checked by itself, without the code; sign-out in view
    page.reload()
    page.wait_for_selector("ol.events > li[data-verified='passed']", timeout=60_000)
    assert page.get_by_role("button", name="Sign out").is_visible()
    text = visible_text(page)
    assert not re.search(r"\bblock\b|JSON-RPC|0x[0-9a-fA-F]{6}", text), text  # plain words for a resident
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('button, summary')].filter(b => b.offsetParent)"
        ".map(b => b.getBoundingClientRect().height))"
    )
    assert smallest >= 44, f"a touch target is {smallest}px high"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    portal.shot(page, "resident-reloaded-phone-en")
    # a new code replaces the old one: the session it opened ends with it
    officer.request("POST", "/trail/codes", json={"nationalId": nid})
    page.reload()
    page.wait_for_selector("#code")
    assert "Your session has ended" in visible_text(page)
    assert page.evaluate("sessionStorage.getItem('cl.trail')") is None
    # signing out forgets the session
    again = open_trail(portal, officer.request("POST", "/trail/codes", json={"nationalId": nid})["code"])
    again.get_by_role("button", name="Sign out").click()
    again.wait_for_selector("#code")
    assert again.evaluate("sessionStorage.length") == 0
    assert page.errors == [] and again.errors == []  # type: ignore[attr-defined]


def test_an_officer_sees_their_post_and_the_grids_it_covers(portal: Portal) -> None:
    page = portal.page()
    portal.sign_in(page, "/officer", "rc-east-grid-1.json")
    post = page.wait_for_selector("#my-post")
    assert post.get_attribute("data-post") == "grid_worker"
    assert "Grid worker" in post.inner_text() and "Grid 1: East Gate Lane" in post.inner_text()
    assert "Market Street" not in post.inner_text()  # grid 2 is not theirs
    portal.shot(page, "officer-grid-worker")
    caseworker = portal.page(lang="zh-CN")
    portal.sign_in(caseworker, "/officer", "civil-affairs-officer.json")
    text = caseworker.wait_for_selector("#my-post").inner_text()
    assert "低保专干" in text and "全部" in text  # a post without grids: the whole body
    # holding no post is said where it matters (a committee divided into grids), and nowhere else
    admin = portal.page()
    portal.sign_in(admin, "/officer", "rc-east-admin2.json")  # the committee's second admin holds no post
    admin.wait_for_selector("#mine")
    assert admin.locator("#my-post").count() == 0
    assert "You hold no post at East Gate Residents' Committee" in admin.inner_text("main")
    procurator = portal.page(lang="zh-CN")
    portal.sign_in(procurator, "/officer", "procuratorate-prosecutor.json")
    procurator.wait_for_selector("#mine")
    assert "岗位" not in procurator.inner_text("main")
    assert page.errors == caseworker.errors == admin.errors == procurator.errors == []  # type: ignore[attr-defined]


def _until_changed(read: Any, old: Any, timeout: float = 60) -> Any:
    """``read()`` once it differs from ``old`` (the page redraws after the transaction is mined)."""
    deadline = time.monotonic() + timeout
    while (now := read()) == old:
        assert time.monotonic() < deadline, f"still {old!r} after {timeout} s"
        time.sleep(0.2)
    return now


def test_an_admin_assigns_and_ends_posts_and_places_a_resident_in_the_browser(portal: Portal, system: Api) -> None:
    worker2 = dev_account(30).address
    page = portal.page()
    portal.sign_in(page, "/admin", "rc-east-admin.json")
    card = page.locator("#posts")
    row = card.locator(f"tr[data-member='{worker2}']")
    row.wait_for()
    assert "Market Street" in row.inner_text() and "East Gate Lane" not in row.inner_text()
    # grid 2's worker covers grid 1 as well, for a while: assigned here, the former assignment ends
    old = row.get_attribute("data-assignment")
    page.select_option("#assign-member", worker2)
    page.select_option("#assign-post", "grid_worker")
    for grid in ("grid-1", "grid-2"):
        page.check(f"#assign-form input[name=grid][value='{grid}']")
    page.click("#assign-form button[type=submit]")
    new = _until_changed(lambda: row.get_attribute("data-assignment") if row.count() else None, old)
    assert "East Gate Lane" in row.inner_text() and "Market Street" in row.inner_text()
    assert system.contracts.bodies.get_assignment(int(old)).ended_at != 0
    # ended from the page: the worker holds no post and reads nobody as the committee's own ...
    row.locator(f"button[data-end='{new}']").click()
    _until_changed(lambda: row.count(), 1)
    assert system.signed_in(GRID2_WORKER).request("GET", "/assignments/mine") is None
    # ... until the admin gives grid 2 back
    page.select_option("#assign-member", worker2)
    page.select_option("#assign-post", "grid_worker")
    page.check("#assign-form input[name=grid][value='grid-2']")
    page.click("#assign-form button[type=submit]")
    row.wait_for(timeout=60_000)
    assert system.signed_in(GRID2_WORKER).request("GET", "/assignments/mine")["grids"] == ["grid-2"]

    # a new resident placed in grid 2 from the page: its worker reads them, grid 1's does not
    nid = national_id()
    record_id = system.signed_in(RC_OFFICER).register_record("household", nid, HOUSEHOLD)
    page.fill("#place-nid", nid)
    page.select_option("#place-grid", "grid-2")
    page.click("#place-form button[type=submit]")
    page.get_by_text("The resident is now in Grid 2: Market Street").wait_for(timeout=60_000)
    assert system.signed_in(GRID2_WORKER).read(record_id, ["members"], "grid_management")["bundle"]
    with pytest.raises(ApiError) as refused:
        system.signed_in(GRID1_WORKER).read(record_id, ["members"], "grid_management")
    assert refused.value.body["decision"] == "outside_grid"
    portal.shot(page, "admin-posts-en")
    assert page.errors == []  # type: ignore[attr-defined]


def test_an_officer_asks_for_their_post_and_the_request_names_it(portal: Portal, system: Api) -> None:
    nid = national_id()
    system.signed_in(RC_OFFICER).register_record("household", nid, HOUSEHOLD)
    page = portal.page()
    portal.sign_in(page, "/officer", "civil-affairs-officer.json")
    page.fill("#nid", nid)
    page.get_by_role("button", name="Find", exact=True).click()
    page.locator("tr", has_text="household").locator("button[data-record]").click()
    page.check("#req-fields input[value=address]")
    page.select_option("#req-purpose", "subsistence_review")
    page.fill("#req-why", "caseload handed over between the two caseworkers")
    label_text = page.locator("label[for='req-for-post']").inner_text()
    assert "For my post, Subsistence caseworker" in label_text
    page.check("#req-for-post")
    page.get_by_role("button", name="Sign and send the request").click()
    sent = page.wait_for_selector("p.msg.ok").inner_text()
    request_id = int(sent.split("no. ")[1].split(" ")[0])
    asked = system.signed_in(RC_ADMIN).request("GET", f"/requests/{request_id}")
    assert asked["post"] == "subsistence_caseworker" and asked["assignment"] in (None, 0)
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_resident_reads_grid_worker_of_grid_2_where_the_committee_gives_no_name(portal: Portal, system: Api) -> None:
    nid = national_id()
    record_id = system.signed_in(RC_OFFICER).register_record("household", nid, HOUSEHOLD)
    system.signed_in(RC_ADMIN).act("PUT", "/residents/grid", {"nationalId": nid, "grid": "grid-2"})
    system.signed_in(GRID2_WORKER).read(record_id, ["members"], "grid_management")
    code = system.signed_in(RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    for lang, words in (("en", "Grid worker of Grid 2: Market Street"), ("zh-CN", "网格员（Grid 2: Market Street）")):
        page = open_trail(portal, code, lang=lang)
        assert words in page.locator("ol.events > li").first.inner_text()
        assert page.errors == []  # type: ignore[attr-defined]
    portal.shot(page, "resident-grid-worker-zh-CN")


def test_a_resident_with_their_own_key_chooses_how_they_are_told_and_no_one_else_can_for_them(
    portal: Portal, system: Api, tmp_path: Path
) -> None:
    from ledger.ids import code_id

    nid, _record_id, _grant_id, _reader = granted_record(system)
    resident = Account.create()
    keystore = tmp_path / "resident.json"
    keystore.write_text(json.dumps(Account.encrypt(resident.key, "demo", kdf="scrypt", iterations=2**14)))
    system.signed_in(RC_OFFICER).act("POST", "/residents", {"account": resident.address, "nationalId": nid})
    subject = system.contracts.residents.resident_subject(resident.address)
    page = portal.page(lang="zh-CN")
    page.goto(portal.url + "/resident")
    page.locator("details").last.locator("summary").click()
    unlock(page, keystore)
    row = page.wait_for_selector("#choices tr[data-choice='household']")
    assert "按机关设置" in row.inner_text()
    page.select_option("#choice-household", "none")
    page.locator("button[data-save='household']").click()
    page.wait_for_selector("text=已保存")
    assert system.contracts.residents.notice_choice(subject, code_id("household")) == 3  # none, on-chain, by their key
    assert page.locator("#choice-household").input_value() == "none"
    portal.shot(page, "resident-choices-zh-CN")
    # a staff member's token is no resident's: the endpoint is for the resident's own account
    with pytest.raises(ApiError) as refused:
        system.signed_in(RC_OFFICER).request(
            "PUT", "/residents/mine/notices", json={"category": "household", "choice": "instant"}
        )
    assert refused.value.status == 403
    assert system.contracts.residents.notice_choice(subject, code_id("household")) == 3
    assert page.errors == []  # type: ignore[attr-defined]
