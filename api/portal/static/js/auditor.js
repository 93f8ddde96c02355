// Auditors: a dashboard (reads per body per day, refusals by reason, emergency reads, anchoring
// backlog and latency) and the audit run from the page, its reports downloaded as JSON, CSV, HTML.

import {
  api, busy, clear, download, el, errorText, fmtDay, fmtNumber, has, hexDetails, label, message, portalConfig, start, t,
} from "./app.js";
import { gate, table, whoLine } from "./staff.js";
import { watchdogCard } from "./watchdog.js";
import { sealStatsCard } from "./seals.js";

const SVG = "http://www.w3.org/2000/svg";
const state = { report: null, days: 14, consortium: null };
const FIRST_SHOWN = 5; // failures of a check shown in words (every one is in the downloads)

/** A finding (ledger/audit/findings.py) in the reader's language: its code's words with its values. */
export function words(f) {
  if (!has(`finding.${f.code}`)) return f.message;
  const v = { ...f.vars };
  if (v.why && has(`finding.why.${v.why}`)) v.why = t(`finding.why.${v.why}`);
  if (v.body) v.body = label("body", v.body);
  if (v.category) v.category = label("category", v.category);
  if (v.fields) v.fields = String(v.fields).split(", ").map((x) => label("field", x)).join(t("list.sep"));
  if (f.code === "check_failed") v.title = t(`auditor.check.${v.number}`);
  const text = t(`finding.${f.code}`, v);
  return f.first ? `${text} · ${t("finding.first", { item: itemWords(f.first), words: words(f.first) })}` : text;
}

function itemWords(f) {
  return has(`finding.item.${f.kind}`) ? t(`finding.item.${f.kind}`, { ref: f.ref }) : String(f.item || "");
}

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
  const emergencies = d.emergencies.reviewed + d.emergencies.unreviewed;
  return [
    el("div", { class: "stats", id: "stats" },
      stat("auditor.unreviewed", fmtNumber(d.emergencies.unreviewed), d.emergencies.unreviewed ? "bad" : ""),
      stat("auditor.reviewedCount", fmtNumber(d.emergencies.reviewed)),
      stat("auditor.backlog", fmtNumber(a.unanchored)),
      stat("auditor.anchoredThrough", fmtNumber(a.anchoredThrough)),
      stat("auditor.latencyP50", seconds(l.p50)), stat("auditor.latencyP95", seconds(l.p95))),
    d.readsPerBodyPerDay.length ? perDay(d) : message("info", t("auditor.noReadsIn", { days: d.days })),
    emergencies ? barChart("emergencies", t("auditor.emergencies"), [
      { label: t("auditor.reviewedCount"), value: d.emergencies.reviewed },
      { label: t("auditor.unreviewed"), value: d.emergencies.unreviewed, alt: true }]) : null,
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
    r ? el("div", { id: "audit-result", "data-verdict": r.ok ? (r.empty ? "empty" : "passed") : "failed" },
      r.ok && r.empty ? message("info", t("auditor.nothingToAudit"))
        : message(r.ok ? "ok" : "error", t(r.ok ? "auditor.passed" : "auditor.failedAudit")),
      el("p", { class: "hint" }, t("auditor.covered", { records: fmtNumber(r.records), events: fmtNumber(r.events) })),
      el("ul", { class: "checks" }, (r.checks || []).map((c) => el("li", { class: c.ok ? "pass" : "fail" },
        t(`auditor.check.${c.number}`), ` — ${t("auditor.checked", { n: fmtNumber(c.checked ?? 0) })}`,
        c.failed ? ` · ${t("auditor.problems", { count: c.failed, n: fmtNumber(c.failed) })}` : "",
        c.failures && c.failures.length ? el("ul", { class: "findings" }, c.failures.slice(0, FIRST_SHOWN).map((f) =>
          el("li", { "data-code": f.code }, `${itemWords(f)}: ${words(f)}`))) : null))),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "secondary", "data-format": "json", onclick: get("json", "application/json") }, t("auditor.getJson")),
        el("button", { type: "button", class: "secondary", "data-format": "csv", onclick: get("csv", "text/csv") }, t("auditor.getCsv")),
        el("button", { type: "button", class: "secondary", "data-format": "html", onclick: get("html", "text/html") }, t("auditor.getHtml")))) : null);
}

/** The audit of every body's node, gathered at the auditor body's own node: one row per body. */
function consortiumCard(config, rerender) {
  const heading = el("h2", { id: "consortium-h" }, t("auditor.consortium"));
  if (config.kind !== "auditor") {
    return el("section", { class: "card", "aria-labelledby": "consortium-h" }, heading,
      el("p", { class: "hint" }, t("auditor.consortiumElsewhere")));
  }
  const out = el("div", { "aria-live": "polite" });
  const run = el("button", { type: "button", id: "run-consortium" }, t("auditor.runConsortium"));
  run.addEventListener("click", () => busy(run, out, async () => {
    out.replaceChildren(message("info", t("auditor.runningConsortium")));
    state.consortium = await api("POST", "/audit/consortium");
    rerender();
  }));
  const r = state.consortium;
  return el("section", { class: "card", "aria-labelledby": "consortium-h" }, heading,
    el("p", { class: "hint" }, t("auditor.consortiumHint")), el("div", { class: "actions" }, run), out,
    r ? el("div", { id: "consortium-result" },
      message(r.ok ? "ok" : "error", t(r.ok ? "auditor.consortiumPassed" : "auditor.consortiumFailed")),
      table([t("auditor.body"), t("auditor.result"), t("auditor.records"), t("auditor.events"), t("auditor.problemsCol")],
        r.bodies.map((b) => el("tr", { "data-body": b.body, "data-status": b.status },
          el("td", {}, label("body", b.body)),
          el("td", {}, el("span", { class: `tag ${b.status === "passed" ? "ok" : b.status === "no_node" ? "" : "bad"}` },
            t(b.status === "passed" && b.report && b.report.empty ? "auditor.status.empty" : `auditor.status.${b.status}`))),
          el("td", {}, b.report ? fmtNumber(b.report.records) : "—"),
          el("td", {}, b.report ? fmtNumber(b.report.events) : "—"),
          el("td", {}, b.problems.length ? el("ul", { class: "findings" }, b.problems.map((p) =>
            el("li", { "data-code": p.code }, words(p)))) : "—")))),
      el("div", { class: "actions" }, ["json", "csv", "html"].map((fmt) => el("button", { type: "button", class: "secondary",
        "data-consortium-format": fmt, onclick: (ev) => busy(ev.target, out, async () => {
          const res = await api("GET", `/audit/consortium/latest?format=${fmt}`, undefined, { raw: true });
          download(`audit-consortium.${fmt}`, await res.text(), { json: "application/json", csv: "text/csv", html: "text/html" }[fmt]);
        }) }, t(`auditor.get${fmt === "json" ? "Json" : fmt === "csv" ? "Csv" : "Html"}`))))) : null);
}

/** Every body's node's figures, gathered at the auditor body's node: totals, a row per body, reads per day. */
function consortiumDashboard(c) {
  const answered = c.bodies.filter((b) => b.dashboard);
  const sum = (f) => answered.reduce((n, b) => n + f(b.dashboard), 0);
  const refusals = (d) => Object.values(d.denialsByDecision).reduce((n, v) => n + v, 0);
  const reads = (d) => d.readsPerBodyPerDay.reduce((n, r) => n + r.reads, 0);
  const merged = { days: c.days, readsPerBodyPerDay: answered.flatMap((b) => b.dashboard.readsPerBodyPerDay) };
  const missing = c.bodies.filter((b) => b.status === "unreachable");
  const unreviewed = sum((d) => d.emergencies.unreviewed);
  return [
    el("h2", { id: "dash-h" }, t("auditor.consortiumDashboard", { days: c.days })),
    missing.length ? message("error", t("auditor.notReached", { bodies: missing.map((b) => label("body", b.body)).join(t("list.sep")) })) : null,
    el("div", { class: "stats", id: "stats" },
      stat("auditor.readsTotal", fmtNumber(sum(reads))),
      stat("auditor.unreviewed", fmtNumber(unreviewed), unreviewed ? "bad" : ""),
      stat("auditor.refusals", fmtNumber(sum(refusals))),
      stat("auditor.backlog", fmtNumber(sum((d) => d.anchoring.unanchored || 0)))),
    el("section", { class: "card", "aria-labelledby": "bodies-h" }, el("h2", { id: "bodies-h" }, t("auditor.byBody")),
      table([t("auditor.body"), t("auditor.readsCol"), t("auditor.unreviewedCol"), t("auditor.refusalsCol"), t("auditor.backlogCol")],
        c.bodies.map((b) => el("tr", { "data-body": b.body, "data-status": b.status }, el("td", {}, label("body", b.body)),
          ...(b.dashboard ? [el("td", {}, fmtNumber(reads(b.dashboard))), el("td", {}, fmtNumber(b.dashboard.emergencies.unreviewed)),
            el("td", {}, fmtNumber(refusals(b.dashboard))), el("td", {}, fmtNumber(b.dashboard.anchoring.unanchored || 0))]
            : [el("td", { colspan: 4 }, t(`auditor.status.${b.status}`))]))))),
    merged.readsPerBodyPerDay.length ? perDay(merged) : message("info", t("auditor.noReadsIn", { days: c.days })),
  ];
}

start({
  name: "auditor",
  async render(main, refreshShell) {
    const rerender = () => this.render(main, refreshShell);
    const me = await gate(main, "auditor", ["auditor"], rerender, refreshShell, { needKey: false });
    if (!me) return;
    const config = await portalConfig();
    let parts;
    try {
      parts = config.kind === "auditor"  // the auditor body's node sees the whole consortium
        ? consortiumDashboard(await api("GET", `/audit/dashboard/consortium?days=${state.days}`))
        : dashboard(await api("GET", `/audit/dashboard?days=${state.days}`));
    } catch (err) {
      parts = [message("error", errorText(err))];
    }
    const alerts = await watchdogCard(config, state, rerender);
    const seals = await sealStatsCard();
    clear(main, el("h1", {}, t("page.auditor")), whoLine(me), parts, alerts, seals, consortiumCard(config, rerender), auditCard(rerender));
  },
});
