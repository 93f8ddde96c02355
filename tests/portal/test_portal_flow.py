"""Each role's main flow in a real browser (Debian's Chromium, headless), against rc-east's real node
and anvil on 1-second blocks. Every signature is made in the page with the person's keystore file:
officer requests → admin approves knowing why → officer reads and sees each field verified →
the resident signs in with an access code, sees the read and verifies it against the chain →
admin revokes → the officer's next read is refused in words → the auditor audits and downloads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.portal.conftest import NID, Portal, unlock

pytestmark = pytest.mark.browser

WHY = "Annual subsistence allowance review <script>window.pwned=1</script>"


def no_dialogs(page: Any) -> None:
    def fail(dialog: Any) -> None:
        page.errors.append(f"a dialog opened: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", fail)


def wait_anchored(page: Any, timeout: float = 60.0) -> None:
    """Waits until the page has verified the newest read, on the shared ledger too: the page checks every
    entry by itself when the trail opens, and an entry not anchored yet again a little later."""
    page.wait_for_selector("ol.events > li:first-child[data-verified='passed']", timeout=timeout * 1000)


def test_officer_admin_resident_auditor_in_the_browser(portal: Portal) -> None:
    # 1. the civil affairs officer finds the resident's records at rc-east and asks for two fields
    officer = portal.page()
    no_dialogs(officer)
    portal.sign_in(officer, "/officer", "civil-affairs-officer.json")
    officer.fill("#nid", NID)
    officer.get_by_role("button", name="Find", exact=True).click()
    officer.locator("tr", has_text="household").locator("button[data-record]").click()
    officer.check("#req-fields input[value=address]")
    officer.check("#req-fields input[value=income_band]")
    officer.select_option("#req-purpose", "subsistence_review")
    officer.fill("#req-why", WHY)
    officer.get_by_role("button", name="Sign and send the request").click()
    sent = officer.wait_for_selector("p.msg.ok").inner_text()
    request_id = int(sent.split("no. ")[1].split(" ")[0])
    portal.shot(officer, "officer-requested-en")

    # 2. rc-east's admin sees the reason as text (not markup), checked against the hash on-chain, and approves
    admin = portal.page()
    no_dialogs(admin)
    portal.sign_in(admin, "/admin", "rc-east-admin.json")
    item = admin.locator(f"li[data-request='{request_id}']")
    assert WHY in item.locator("blockquote").inner_text()
    assert "matches the ledger" in item.inner_text()
    assert admin.evaluate("window.pwned") is None
    portal.shot(admin, "admin-pending-en")
    item.locator("[data-approve]").click()
    admin.wait_for_selector(f"text=Request no. {request_id} approved.")

    # 3. the officer (page reloaded: the key is unlocked again, never stored) reads and sees each field verified
    officer.reload()
    unlock(officer, portal.keystores / "civil-affairs-officer.json")
    officer.locator(f"tr[data-request='{request_id}'] button[data-grant]").click()
    result = officer.wait_for_selector("#read-result")
    rows = officer.locator("#read-result tbody tr")
    assert rows.count() == 2
    assert officer.locator("#read-result .tag.ok").count() == 2
    assert "East Gate Lane 3, unit 12" in result.inner_text() and "Zhang Wei" not in result.inner_text()
    seq = int(officer.locator("#read-result dd").first.inner_text())
    portal.shot(officer, "officer-read-en")

    # 4. the committee's officer issues the resident's access code
    committee = portal.page()
    portal.sign_in(committee, "/officer", "rc-east-officer.json")
    committee.fill("#code-nid", NID)
    committee.get_by_role("button", name="Issue the code").click()
    code = committee.wait_for_selector("#issued-code").inner_text()

    # 5. the resident, on a phone, signs in with the code, sees that read and verifies it in the browser
    resident = portal.page(width=360, height=780)
    resident.code = code
    resident.goto(portal.url + "/resident")
    resident.fill("#code", code)
    resident.keyboard.press("Enter")
    resident.wait_for_selector("ol.events > li")
    wait_anchored(resident)
    newest = resident.locator("ol.events > li").first
    assert newest.get_attribute("data-seq") == str(seq)
    shown = resident.locator("ol.events > li").count()  # the lead counts in words a resident reads: "1 read", "2 reads"
    assert (
        resident.locator("p.lead")
        .first.inner_text()
        .startswith(f"{shown} read of your data" if shown == 1 else f"{shown} reads of your data")
    )
    text = newest.inner_text()
    # civil affairs runs no node in this system, so no one can name its officer here: the body, in words
    assert "Civil Affairs Bureau — a staff member (not named by their office)" in text
    assert "subsistence allowance review" in text and "address, income band" in text
    assert "access grant no." in text
    newest.locator("button[data-seq]").click()
    newest.locator("ul.checks").wait_for()
    assert newest.locator("ul.checks li.pass").count() == 4 and newest.locator("li.fail").count() == 0
    assert "Verified" in newest.inner_text()
    portal.shot(resident, "resident-verified-phone-en")
    with resident.expect_download() as got:
        resident.locator("#bundle").click()
    bundle = json.loads(open(got.value.path()).read())
    assert bundle["schema"] == "civic-ledger/consortium-trail@1"  # one part per body's node; rc-east's has the read
    [east] = [part["bundle"] for part in bundle["parts"] if part["custodian"] == "rc-east"]
    assert seq in [e["seq"] for e in east["events"]]

    # 6. the admin revokes; 7. the officer's page shows it revoked without a reload, and a read she tries anyway
    # (from the record she found) is refused, in words
    admin.reload()
    unlock(admin, portal.keystores / "rc-east-admin.json")
    grant_row = admin.locator("tr[data-grant]", has=admin.locator("[data-revoke]")).first
    grant_row.locator("[data-revoke]").click()
    admin.wait_for_selector("text=revoked: the next read under it is refused")
    officer.wait_for_selector(f"#mine tr[data-request='{request_id}'][data-state='revoked']", timeout=30_000)
    assert officer.locator(f"#mine tr[data-request='{request_id}'] button[data-grant]").count() == 0
    officer.fill("#nid", NID)
    officer.get_by_role("button", name="Find", exact=True).click()
    officer.locator("tr", has_text="household").locator("button[data-read]").click()
    officer.check("#read-fields input[value=address]")
    officer.select_option("#read-purpose", "subsistence_review")
    officer.get_by_role("button", name="Sign and read").click()
    refusal = officer.wait_for_selector("p.msg.error[role=alert]").inner_text()
    assert refusal == "Refused: your access was revoked by the record's keeper."
    portal.shot(officer, "officer-refused-en")

    # 8. the auditor runs the audit from the page and downloads its reports
    auditor = portal.page()
    portal.sign_in(auditor, "/auditor", "auditor-auditor.json")
    auditor.wait_for_selector("#stats")
    auditor.locator("#run-audit").click()
    assert "The audit passed" in auditor.wait_for_selector("#audit-result").inner_text()
    portal.shot(auditor, "auditor-dashboard-en")
    formats = {}
    for fmt in ("json", "csv", "html"):
        with auditor.expect_download() as got:
            auditor.locator(f"button[data-format={fmt}]").click()
        formats[fmt] = open(got.value.path(), encoding="utf-8").read()
    assert json.loads(formats["json"])["ok"] is True
    assert formats["csv"].splitlines()[0] and "<html" in formats["html"].lower()

    for page in (officer, admin, committee, resident, auditor):
        assert page.errors == [], page.errors


def test_an_admin_votes_on_an_admission_on_the_admin_page(portal: Portal, system: Any) -> None:
    from eth_account import Account

    from ledger.client.api_client import ApiClient

    code = f"housing-{Account.create().address[2:8].lower()}"
    admins = [Account.create().address, Account.create().address]
    proposed = system.signed_in(1).act(  # the subdistrict's admin proposes; its body votes with it
        "POST", "/bodies/proposals", {"code": code, "name": "Housing Bureau", "kind": "department", "admins": admins}
    )
    proposal_id = ApiClient.event_arg(proposed, "BodyProposed", "proposalId")
    admin = portal.page()
    no_dialogs(admin)
    portal.sign_in(admin, "/admin", "rc-east-admin.json")
    item = admin.locator(f"li[data-proposal='{proposal_id}'][data-open=true]")
    assert f"Proposal no. {proposal_id}: admit {code}" in item.inner_text()
    assert "1 of the 4 needed" in item.inner_text()
    item.locator(f"[data-vote='{proposal_id}']").click()
    admin.wait_for_selector(f"text=Your body's vote for proposal no. {proposal_id} is on the chain.")
    voted = admin.locator(f"li[data-proposal='{proposal_id}']")
    assert "2 of the 4 needed" in voted.inner_text() and "Your body has voted for it." in voted.inner_text()
    assert voted.locator("[data-vote]").count() == 0  # one vote per body
    portal.shot(admin, "admin-vote-en")
    mine = next(p for p in system.signed_in(4).request("GET", "/bodies/proposals") if p["id"] == proposal_id)
    assert (mine["votes"], mine["myBodyVoted"]) == (2, True)
    assert admin.errors == []
