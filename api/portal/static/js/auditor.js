// Auditors: a dashboard (reads per body per day, refusals by reason, emergency reads, anchoring
// backlog and latency) and the audit run from the page, its reports downloaded as JSON, CSV, HTML.

import { api, busy, clear, download, el, errorText, fmtDay, fmtNumber, label, message, start, t } from "./app.js";
import { gate, table, whoLine } from "./staff.js";

const SVG = "http://www.w3.org/2000/svg";
const state = { report: null, days: 14 };

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** A bar chart (one bar per label) drawn as SVG, with the same figures in a table for screen readers. */
function barChart(id, title, rows) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const w = 640, h = 200, pad = 8;
  const slot = (w - pad) / Math.max(rows.length, 1), bw = Math.min(56, Math.max(4, slot - 6));
  const chart = svg("svg", { viewBox: `0 0 ${w} ${h + 30}`, role: "img", "aria-labelledby": `${id}-t` });
  chart.append(svg("title", { id: `${id}-t` }, title));
  rows.forEach((r, i) => {
    const bh = Math.round((r.value / max) * (h - 20));
    const x = pad + i * slot + (slot - bw) / 2, mid = pad + i * slot + slot / 2;
    chart.append(svg("rect", { x, y: h - bh, width: bw, height: bh, class: `bar${r.alt ? " alt" : ""}` }));
    chart.append(svg("text", { x: mid, y: h - bh - 4, "text-anchor": "middle", class: "axis" }, r.value));
    chart.append(svg("text", { x: mid, y: h + 16, "text-anchor": "middle", class: "axis" }, r.short ?? r.label));
  });
  return el("figure", { class: "chart card", id }, el("figcaption", {}, el("h2", {}, title)), chart,
    el("details", {}, el("summary", {}, t("auditor.asTable")),
      table([t("auditor.label"), t("auditor.value")], rows.map((r) => el("tr", {}, el("td", {}, r.label), el("td", {}, fmtNumber(r.value)))))));
}

function perDay(d) {
  const days = [];
  const today = new Date();
  for (let i = d.days - 1; i >= 0; i -= 1) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
    days.push(day.toISOString().slice(0, 10));
  }
  const bodies = [...new Set(d.readsPerBodyPerDay.map((r) => r.body))];
  return bodies.map((b) => barChart(`reads-${b}`, t("auditor.readsBy", { body: label("body", b) }), days.map((day) => ({
    label: day, short: fmtDay(day),
    value: d.readsPerBodyPerDay.filter((r) => r.body === b && r.day === day).reduce((n, r) => n + r.reads, 0) }))));
}

function stat(key, value, cls) {
  return el("div", { class: `stat ${cls || ""}` }, el("span", {}, t(key)), el("b", {}, value));
}

function dashboard(d) {
  const a = d.anchoring, l = d.latencySeconds;
  const seconds = (v) => (v === null || v === undefined ? "—" : t("auditor.seconds", { s: v }));
  const denials = Object.entries(d.denialsByDecision).map(([k, v]) => ({ label: label("denial", k), value: v }));
  return [
    el("div", { class: "stats", id: "stats" },
      stat("auditor.unreviewed", fmtNumber(d.emergencies.unreviewed), d.emergencies.unreviewed ? "bad" : ""),
      stat("auditor.reviewedCount", fmtNumber(d.emergencies.reviewed)),
      stat("auditor.backlog", fmtNumber(a.unanchored)),
      stat("auditor.anchoredThrough", fmtNumber(a.anchoredThrough)),
      stat("auditor.latencyP50", seconds(l.p50)), stat("auditor.latencyP95", seconds(l.p95))),
    d.readsPerBodyPerDay.length ? perDay(d) : message("info", t("auditor.noReads")),
    barChart("emergencies", t("auditor.emergencies"), [
      { label: t("auditor.reviewedCount"), value: d.emergencies.reviewed },
      { label: t("auditor.unreviewed"), value: d.emergencies.unreviewed, alt: true }]),
    denials.length ? barChart("denials", t("auditor.denials"), denials) : el("section", { class: "card" },
      el("h2", {}, t("auditor.denials")), message("info", t("auditor.noDenials"))),
  ];
}

function auditCard(rerender) {
  const out = el("div", { "aria-live": "polite" });
  const run = el("button", { type: "button", id: "run-audit" }, t("auditor.run"));
  run.addEventListener("click", () => busy(run, out, async () => {
    out.replaceChildren(message("info", t("auditor.running")));
    state.report = await api("POST", "/audit/verify?format=json");
    rerender();
  }));
  const r = state.report;
  const get = (fmt, type) => (ev) => busy(ev.target, out, async () => {
    const res = await api("GET", `/audit/latest?format=${fmt}`, undefined, { raw: true });
    download(`audit.${fmt}`, await res.text(), type);
  });
  return el("section", { class: "card", "aria-labelledby": "audit-h" }, el("h2", { id: "audit-h" }, t("auditor.audit")),
    el("p", { class: "hint" }, t("auditor.auditHint")), el("div", { class: "actions" }, run), out,
    r ? el("div", { id: "audit-result" },
      message(r.ok ? "ok" : "error", t(r.ok ? "auditor.passed" : "auditor.failedAudit")),
      el("ul", { class: "checks" }, (r.checks || []).map((c) => el("li", { class: c.ok ? "pass" : "fail" },
        t(`auditor.check.${c.number}`), ` — ${t("auditor.checked", { n: fmtNumber(c.checked ?? 0) })}`,
        c.failed ? ` · ${t("auditor.problems", { count: c.failed, n: fmtNumber(c.failed) })}` : ""))),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "secondary", "data-format": "json", onclick: get("json", "application/json") }, t("auditor.getJson")),
        el("button", { type: "button", class: "secondary", "data-format": "csv", onclick: get("csv", "text/csv") }, t("auditor.getCsv")),
        el("button", { type: "button", class: "secondary", "data-format": "html", onclick: get("html", "text/html") }, t("auditor.getHtml")))) : null);
}

start({
  name: "auditor",
  async render(main, refreshShell) {
    const rerender = () => this.render(main, refreshShell);
    const me = await gate(main, "auditor", ["auditor"], rerender, refreshShell, { needKey: false });
    if (!me) return;
    let parts;
    try {
      parts = dashboard(await api("GET", `/audit/dashboard?days=${state.days}`));
    } catch (err) {
      parts = [message("error", errorText(err))];
    }
    clear(main, el("h1", {}, t("page.auditor")), whoLine(me), auditCard(rerender), parts);
  },
});
