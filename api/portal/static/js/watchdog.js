// The watchdog's alerts on the auditor's page: each rule's finding in words, the events it stands on,
// and the auditor's review (acknowledge or escalate, with a note), signed with their own key and kept
// on-chain (AccessTrail.reviewAlert).

import { api, busy, el, errorText, fmtNumber, label, message, personText, short, t } from "./app.js";
import { act } from "./wallet.js";

const EVENTS_SHOWN = 12;

function eventsText(events) {
  const byBody = new Map();
  for (const e of events) byBody.set(e.body, [...(byBody.get(e.body) || []), e.seq]);
  const parts = [...byBody].map(([body, seqs]) => `${label("body", body)} ${seqs.slice(0, EVENTS_SHOWN).map((s) => `#${s}`).join(" ")}`
    + (seqs.length > EVENTS_SHOWN ? ` ${t("watchdog.more", { n: fmtNumber(seqs.length - EVENTS_SHOWN) })}` : ""));
  return parts.join(t("list.sep"));
}

function says(a) {
  const v = { ...a.vars, reads: fmtNumber(a.vars.reads), count: a.vars.reads };
  if (a.rule === "outside_grids") v.grids = (a.vars.grids || []).join(t("list.sep"));
  if (a.rule === "off_hours") v.times = (a.vars.times || []).join(t("list.sep"));
  if (a.rule === "volume") v.post = a.vars.post ? label("post", a.vars.post) : t("watchdog.noPost");
  return t(`watchdog.says.${a.rule}`, v);
}

function who(a) {
  if (a.rule === "emergencies") return label("body", a.key);
  const person = personText(a.readerName, a.readerPost) || short(a.reader);
  return t("watchdog.who", { person, body: label("body", a.readerBody) });
}

function reviewLine(r) {
  const by = r.reviewerName ? label("name", r.reviewerName) : short(r.reviewer);
  return el("p", { class: "hint review" }, t(`watchdog.reviewed.${r.verdict}`, { by, body: label("body", r.body) }),
    r.current ? "" : ` ${t("watchdog.newSince")}`, r.note ? [" ", el("q", {}, r.note.text)] : null);
}

function alertItem(a, scope, rerender, notice) {
  const out = el("div", { "aria-live": "polite" });
  const note = el("textarea", { id: `note-${a.id}`, minlength: 3, maxlength: 2000, rows: 2 });
  const decide = (verdict) => (ev) => busy(ev.target, out, async () => {
    if (note.value.trim().length < 3) { out.replaceChildren(message("error", t("watchdog.noteNeeded"))); return; }
    await act("POST", `/watchdog/alerts/${a.id}/review`, { verdict, note: note.value.trim(), eventsHash: a.eventsHash, scope });
    notice(t(`watchdog.done.${verdict}`));
    rerender();
  });
  return el("li", { "data-alert": a.id, "data-rule": a.rule, "data-state": a.state },
    el("h3", {}, t(`watchdog.rule.${a.rule}`), " ",
      el("span", { class: `tag ${a.state === "open" ? "bad" : a.state === "escalated" ? "warn" : "ok"}` }, t(`watchdog.state.${a.state}`))),
    el("dl", { class: "facts" },
      el("dt", {}, t("watchdog.whoCol")), el("dd", {}, who(a)),
      el("dt", {}, t("watchdog.period")), el("dd", {}, a.period),
      el("dt", {}, t("watchdog.found")), el("dd", {}, says(a)),
      el("dt", {}, t("watchdog.events")), el("dd", { class: "events-ref" }, eventsText(a.events))),
    a.review ? reviewLine(a.review) : null,
    a.state === "open" ? el("div", {},
      el("label", { for: `note-${a.id}` }, t("watchdog.note")), note,
      el("div", { class: "actions" },
        el("button", { type: "button", "data-verdict": "acknowledged", onclick: decide("acknowledged") }, t("watchdog.acknowledge")),
        el("button", { type: "button", class: "danger", "data-verdict": "escalated", onclick: decide("escalated") }, t("watchdog.escalate"))),
      out) : null);
}

/** The watchdog card: every node's alerts at the auditor body's node, this node's elsewhere. */
export async function watchdogCard(config, state, rerender) {
  const scope = config.kind === "auditor" ? "consortium" : "node";
  const heading = el("h2", { id: "watchdog-h" }, t("watchdog.title"));
  const notice = (text) => { state.watchdogNotice = text; };
  let w;
  try {
    w = await api("GET", `/watchdog/alerts?scope=${scope}&days=${state.days}`);
  } catch (err) {
    return el("section", { class: "card", id: "watchdog", "aria-labelledby": "watchdog-h" }, heading, message("error", errorText(err)));
  }
  const open = w.alerts.filter((a) => a.state === "open").length;
  const done = state.watchdogNotice;
  state.watchdogNotice = null;
  return el("section", { class: "card", id: "watchdog", "aria-labelledby": "watchdog-h" }, heading,
    el("p", { class: "hint" }, t(scope === "consortium" ? "watchdog.hintConsortium" : "watchdog.hintNode",
      { events: fmtNumber(w.events), days: w.days })),
    done ? message("ok", done) : null,
    w.alerts.length
      ? [el("p", { id: "watchdog-count" }, t("watchdog.count", { n: fmtNumber(w.alerts.length), open: fmtNumber(open) })),
        el("ol", { class: "events alerts" }, w.alerts.map((a) => alertItem(a, scope, rerender, notice)))]
      : message("ok", t("watchdog.none", { days: w.days })));
}
