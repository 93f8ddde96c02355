"""An audit report as JSON, CSV (one row per check and per failure) or a readable HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
from typing import Any, Literal

from ledger.audit.node import AuditReport

Format = Literal["json", "csv", "html"]
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def render(report: AuditReport, fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(report.as_json(), indent=2) + "\n"
    if fmt == "csv":
        return to_csv(report)
    return to_html(report)


def to_csv(report: AuditReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["check", "title", "status", "checked", "failed", "item", "message"])
    for c in report.checks.values():
        j = c.as_json()
        w.writerow([c.number, j["title"], "pass" if c.ok else "FAIL", c.checked, c.failed, "", ""])
        for f in c.failures:
            w.writerow([c.number, j["title"], "FAIL", "", "", f["item"], f["message"]])
    return buf.getvalue()


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem} .ok{color:#0a6b2d} .fail{color:#b00020} table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4} code{font-size:.85em} .muted{color:#666}
"""


def to_html(report: AuditReport) -> str:
    e = html.escape
    verdict = (
        '<span class="fail">FAILED</span>'
        if not report.ok
        else '<span class="muted">nothing to audit yet</span>'
        if report.empty
        else '<span class="ok">passed</span>'
    )
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Audit of {e(report.body_code)}</title>"
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Civic Ledger audit: {verdict}</h1>",
        f"<p class='muted'>Body <b>{e(report.body_code)}</b> (<code>{e(report.body)}</code>) · "
        f"{report.records:,} records · {report.events:,} access events · "
        f"started {e(report.started_at.isoformat(timespec='seconds'))} · {report.seconds:.1f} s</p>",
        "<table><tr><th>#</th><th>Check</th><th>Result</th><th>Checked</th><th>Failed</th></tr>",
    ]
    for c in report.checks.values():
        j = c.as_json()
        result = '<span class="ok">pass</span>' if c.ok else '<span class="fail">FAIL</span>'
        parts.append(
            f"<tr><td>{c.number}</td><td>{e(j['title'])}"
            + "".join(f"<br><span class='muted'>{e(n)}</span>" for n in c.notes)
            + f"</td><td>{result}</td><td>{c.checked:,}</td><td>{c.failed:,}</td></tr>"
        )
    parts.append("</table>")
    for c in report.checks.values():
        if c.failures:
            parts.append(f"<h2>Check {c.number}: failures</h2><table><tr><th>Item</th><th>Problem</th></tr>")
            parts += [f"<tr><td><code>{e(f['item'])}</code></td><td>{e(f['message'])}</td></tr>" for f in c.failures]
            if c.failed > len(c.failures):
                parts.append(f"<tr><td colspan='2' class='muted'>… and {c.failed - len(c.failures):,} more</td></tr>")
            parts.append("</table>")
    if report.unreviewed_emergencies:
        parts.append(
            "<h2>Emergency reads not reviewed</h2><table><tr><th>Event</th><th>Declaration</th>"
            "<th>Reader</th><th>When</th></tr>"
        )
        parts += [
            f"<tr><td>{u['seq']}</td><td>{u['emergencyId']}</td><td><code>{e(u['reader'])}</code></td>"
            f"<td>{e(u['at'])}</td></tr>"
            for u in report.unreviewed_emergencies
        ]
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


def consortium_html(report: dict[str, Any]) -> str:
    """The consortium audit (:mod:`ledger.audit.consortium`) as one page: a row per body."""
    e = html.escape
    verdict = '<span class="ok">passed</span>' if report["ok"] else '<span class="fail">FAILED</span>'
    words = {
        "passed": '<span class="ok">passed</span>',
        "failed": '<span class="fail">FAILED</span>',
        "unreachable": '<span class="fail">not reached</span>',
        "no_node": '<span class="muted">no node</span>',
    }
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Consortium audit</title>"
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Civic Ledger consortium audit: {verdict}</h1>",
        f"<p class='muted'>Gathered by <b>{e(report['by'])}</b> · started {e(report['startedAt'])}</p>",
        "<table><tr><th>Body</th><th>Result</th><th>Records</th><th>Events</th><th>Problems</th></tr>",
    ]
    for b in report["bodies"]:
        r = b.get("report") or {}
        problems = (
            "".join(f"<div>{e(p)}</div>" for p in (q["message"] for q in b["problems"]))
            + "".join(f"<div class='muted'>{e(n)}</div>" for n in b.get("notes", []))
            or "<span class='muted'>none</span>"
        )
        parts.append(
            f"<tr><td>{e(b['body'])}</td><td>{words.get(b['status'], e(b['status']))}</td>"
            f"<td>{r.get('records', '—')}</td><td>{r.get('events', '—')}</td><td>{problems}</td></tr>"
        )
    parts.append("</table></body></html>\n")
    return "".join(parts)


def consortium_csv(report: dict[str, Any]) -> str:
    """The consortium audit as CSV: one row per body, then one per problem (code, words, first failure)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["body", "status", "records", "events", "problem", "message"])
    for b in report["bodies"]:
        r = b.get("report") or {}
        w.writerow([b["body"], b["status"], r.get("records", ""), r.get("events", ""), "", ""])
        for p in b["problems"]:
            w.writerow([b["body"], b["status"], "", "", p["code"], p["message"]])
    return buf.getvalue()
