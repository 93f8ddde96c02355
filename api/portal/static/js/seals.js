// Seals over covert reads, as each seat sees them. A sealing body's officer seals the reads of one of its
// grants or emergency declarations (at most 90 days), and releases them; an oversight body's officer sees
// every seal's case hash, body and ages (never what it covers) and extends one, by at most 90 days past its
// end, with a reason; auditors see, per body, how many reads are hidden and how old the seals are. Every
// action is a chain action signed with the person's own key.

import { api, busy, el, field, fmtDate, fmtNumber, hexDetails, label, message, t } from "./app.js";
import { table } from "./staff.js";
import { act, eventArg } from "./wallet.js";

const DAY = 86400;
const days = (n) => t("seals.days", { n: fmtNumber(n) });

function stateText(s) {
  return s.state === "sealed" ? t("seals.sealedUntil", { date: fmtDate(s.until), left: days(s.daysLeft) }) : label("sealState", s.state);
}

function placeForm(grants, state, rerender) {
  const out = el("div", { "aria-live": "polite" });
  const target = el("select", { id: "seal-target" }, ["grant", "emergency"].map((v) => el("option", { value: v }, label("sealTarget", v))));
  const id = el("input", { id: "seal-id", type: "number", min: "1", required: true, value: grants.length ? String(grants[0].id) : "" });
  const reference = el("input", { id: "seal-case", type: "text", required: true, minlength: "3", maxlength: "500", autocomplete: "off" });
  const length = el("input", { id: "seal-days", type: "number", min: "1", max: "90", required: true, value: "30" });
  const submit = el("button", { type: "submit" }, t("seals.seal"));
  return el("form", { class: "stack", id: "seal-form", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const until = Math.floor(Date.now() / 1000) + Number(length.value) * DAY;
      const done = await act("POST", "/seals", { target: target.value, targetId: Number(id.value), caseReference: reference.value, until });
      state.notice = t("seals.placed", { id: eventArg(done, "Sealed", "sealId") });
      rerender();
    });
  } }, el("p", { class: "hint" }, t("seals.placeHint")),
  field("seal-target", "seals.target", target), field("seal-id", "seals.targetId", id),
  field("seal-case", "seals.case", reference, "seals.caseHint"), field("seal-days", "seals.length", length, "seals.lengthHint"),
  el("div", { class: "actions" }, submit), out);
}

/** The sealing body's card: its seals, each in force with a Release button, and the form to seal. */
function sealerCard(list, grants, state, rerender) {
  const out = el("div", { "aria-live": "polite" });
  const rows = list.seals.map((s) => el("tr", { "data-seal": s.id, "data-state": s.state },
    el("td", {}, `#${s.id}`), el("td", {}, `${label("sealTarget", s.target)} #${s.targetId}`),
    el("td", {}, s.case ? s.case.text : hexDetails([t("seals.caseHash"), s.caseHash])),
    el("td", {}, stateText(s)), el("td", {}, fmtNumber(s.extensions)),
    el("td", {}, s.state === "sealed" ? el("button", { type: "button", class: "danger", "data-release": s.id,
      onclick: (ev) => busy(ev.target, out, async () => {
        await act("POST", `/seals/${s.id}/release`);
        state.notice = t("seals.released", { id: s.id });
        rerender();
      }) }, t("seals.release")) : null)));
  return el("section", { class: "card", id: "seals", "aria-labelledby": "seals-h" }, el("h2", { id: "seals-h" }, t("seals.title")),
    el("p", { class: "hint" }, t("seals.hint")),
    rows.length ? table([t("seals.number"), t("seals.covers"), t("seals.case"), t("seals.state"), t("seals.extensions"),
      t("officer.actions")], rows) : message("info", t("seals.none")), out,
    el("h3", {}, t("seals.placeTitle")), placeForm(grants, state, rerender));
}

function extendForm(s, state, rerender) {
  const out = el("div", { "aria-live": "polite" });
  const more = el("input", { id: `extend-days-${s.id}`, type: "number", min: "1", max: "90", required: true, value: "30" });
  const reason = el("input", { id: `extend-reason-${s.id}`, type: "text", required: true, minlength: "3", maxlength: "2000", autocomplete: "off" });
  const submit = el("button", { type: "submit" }, t("seals.extend"));
  return el("form", { class: "stack", "data-extend": s.id, onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      await act("POST", `/seals/${s.id}/extend`, { until: s.until + Number(more.value) * DAY, reason: reason.value });
      state.notice = t("seals.extended", { id: s.id });
      rerender();
    });
  } }, field(`extend-days-${s.id}`, "seals.more", more, "seals.moreHint"), field(`extend-reason-${s.id}`, "seals.reason", reason),
  el("div", { class: "actions" }, submit), out);
}

/** An oversight body's card: every seal by its body, case hash and ages; one in force may be extended. */
function oversightCard(list, state, rerender) {
  const items = list.seals.map((s) => el("li", { "data-seal": s.id, "data-state": s.state },
    el("h3", {}, t("seals.of", { id: s.id, body: label("body", s.body) })),
    el("p", {}, t("seals.ages", { placed: fmtDate(s.placedAt), age: days(s.ageDays), extensions: fmtNumber(s.extensions) })),
    el("p", {}, stateText(s)), hexDetails([t("seals.caseHash"), s.caseHash]),
    s.state === "sealed" ? extendForm(s, state, rerender) : null));
  return el("section", { class: "card", id: "oversight", "aria-labelledby": "oversight-h" },
    el("h2", { id: "oversight-h" }, t("seals.oversightTitle")), el("p", { class: "hint" }, t("seals.oversightHint")),
    items.length ? el("ol", { class: "events" }, items) : message("info", t("seals.none")));
}

/** The officer page's seals card for this person's seat: sealing body, oversight body, or none. */
export async function sealsCard(grants, state, rerender) {
  const list = await api("GET", "/seals");
  if (list.seat === "oversight") return oversightCard(list, state, rerender);
  return list.seat === "sealer" ? sealerCard(list, grants, state, rerender) : null;
}

/** Auditors: per sealing body, the seals in force, their ages and the reads they hide now. */
export async function sealStatsCard() {
  let stats;
  try { stats = await api("GET", "/seals/stats"); } catch (err) { return message("error", err.message); }
  const rows = stats.bodies.map((b) => el("tr", { "data-body": b.body },
    el("td", {}, label("body", b.body)), el("td", {}, fmtNumber(b.sealed)), el("td", {}, fmtNumber(b.readsSealed)),
    el("td", {}, b.oldestDays === null ? "—" : days(b.oldestDays)), el("td", {}, b.medianDays === null ? "—" : days(b.medianDays)),
    el("td", {}, fmtNumber(b.extended)), el("td", {}, fmtNumber(b.ended))));
  const missing = stats.sources.filter((s) => s.status === "unreachable"); // a body with no node keeps no records
  return el("section", { class: "card", id: "seal-stats", "aria-labelledby": "seal-stats-h" },
    el("h2", { id: "seal-stats-h" }, t("seals.statsTitle")), el("p", { class: "hint" }, t("seals.statsHint")),
    missing.length ? message("error", t("seals.statsMissing", { bodies: missing.map((s) => label("body", s.body)).join(t("list.sep")) })) : null,
    rows.length ? table([t("seals.body"), t("seals.inForce"), t("seals.readsSealed"), t("seals.oldest"), t("seals.median"),
      t("seals.extendedCount"), t("seals.endedCount")], rows) : message("info", t("seals.noneYet")));
}
