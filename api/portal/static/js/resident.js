// Residents: who viewed my data. Sign in with the access code the committee issued (or a wallet),
// see the reads at every body's node newest first (merged by this committee's node; a node that did not
// answer is named), verify any event in this browser against the chain, download the bundles.

import {
  api, busy, clear, download, el, errorText, facts, field, fmtDate, label, message, personText, portalConfig, start, t,
} from "./app.js";
import { signInCard, whoAmI } from "./signin.js";
import { checkCache, verifyEvent } from "./verify.js";
import { act } from "./wallet.js";

const state = {
  session: null, wallet: false, page: null, events: [], checks: {}, chainUrl: null, consents: [], notice: null,
  bundles: null, run: 0, ended: false,
};
const SESSION_KEY = "cl.trail"; // the trail session the code opened, for this tab (never the code itself)
const RETRY_MS = 15000; // an entry not on the shared ledger yet is checked again after this long
const CHECKS_AT_ONCE = 4; // entries checked at the same time

function source(path) {
  // The same questions by trail session (POST, in the body, never in a URL) or by the resident's own account.
  if (state.wallet) return api("GET", `/trail/mine/consortium${path}`);
  return api("POST", `/trail/by-code/consortium${path}`, { session: state.session });
}

async function loadPage() {
  state.page = await source("");
  state.events = state.page.events;
  state.bundles = null;
  state.consents = state.wallet ? await api("GET", "/consent/mine")
    : await api("POST", "/trail/by-code/consents", { session: state.session });
  state.choices = state.wallet ? await api("GET", "/residents/mine/notices") : null;
}

/** Forgets the trail session and stops any check still running (signing out, leaving, a session that ended). */
function leave() {
  state.run += 1;
  sessionStorage.removeItem(SESSION_KEY);
  Object.assign(state, { session: null, wallet: false, page: null, events: [], checks: {}, consents: [], bundles: null, choices: null });
}

const key = (e) => `${e.custodian}:${e.seq}`;

/** What verifies one event alone (civic-ledger/trail-event@1), cut from its node's trail bundle. */
async function materialOf(e) {
  if (!state.bundles) { // one request for the checks running at once
    state.bundles = source("/bundle").then((doc) =>
      Object.fromEntries(doc.parts.filter((p) => p.bundle).map((p) => [p.custodian, p.bundle])));
    state.bundles.catch(() => { state.bundles = null; });
  }
  const b = (await state.bundles)[e.custodian];
  const event = b && b.events.find((x) => x.seq === e.seq);
  if (!event) throw new Error(t("trail.partGone", { body: label("body", e.custodian) }));
  const anchor = b.anchors.find((a) => a.firstSeq <= e.seq && e.seq <= a.lastSeq) || null;
  return { schema: "civic-ledger/trail-event@1", chainId: b.chainId, contracts: b.contracts, custodian: b.custodian,
    subject: b.subject, head: b.head, event, anchor };
}

const CHOICES = ["default", "instant", "digest", "none"];

/** How I am told of reads, per category: chosen with my own key (with an access code, my committee records it). */
function choicesCard(rerender) {
  if (!state.choices) {
    return el("section", { class: "card", id: "choices" }, el("h2", {}, t("choices.title")), el("p", { class: "hint" }, t("choices.byCommittee")));
  }
  const out = el("div", { "aria-live": "polite" });
  const rows = state.choices.map((c) => {
    const pick = el("select", { id: `choice-${c.category}`, "data-category": c.category },
      CHOICES.map((v) => el("option", { value: v, selected: v === c.choice }, v === "default"
        ? t(c.sensitive ? "choices.defaultInstant" : "choices.defaultDigest") : t(`choices.${v}`))));
    const save = el("button", { type: "button", class: "secondary", "data-save": c.category, onclick: (ev) => busy(ev.target, out, async () => {
      await act("PUT", "/residents/mine/notices", { category: c.category, choice: pick.value });
      state.notice = t("choices.saved", { category: label("category", c.category) });
      await loadPage();
      rerender();
    }) }, t("choices.save"));
    return el("tr", { "data-choice": c.category }, el("td", {}, el("label", { for: pick.id }, label("category", c.category))),
      el("td", {}, pick), el("td", {}, save));
  });
  return el("section", { class: "card", id: "choices", "aria-labelledby": "choices-h" },
    el("h2", { id: "choices-h" }, t("choices.title")), el("p", { class: "hint" }, t("choices.lead")),
    el("div", { class: "table-wrap" }, el("table", {}, el("tbody", {}, rows))), out);
}

function consentCard(rerender) {
  if (!state.consents.length) return null;
  const out = el("div", { "aria-live": "polite" });
  const answer = (g, given) => (ev) => busy(ev.target, out, async () => {
    await act("POST", "/consent", { grantId: g.id, given });
    state.notice = t(given ? "consent.gaveNotice" : "consent.refusedNotice", { body: label("body", g.granteeBody) });
    await loadPage();
    rerender();
  });
  return el("section", { class: "card", id: "consents", "aria-labelledby": "consent-h" },
    el("h2", { id: "consent-h" }, t("consent.title")), el("p", { class: "hint" }, t("consent.lead")),
    el("ol", { class: "events" }, state.consents.map((g) => el("li", { "data-consent": g.id },
      el("h3", {}, t("consent.asks", { body: label("body", g.granteeBody) })),
      facts([[t("trail.record"), label("category", g.category)],
        [t("trail.fields"), g.fields.map((f) => label("field", f)).join(t("list.sep"))],
        [t("trail.purpose"), label("purpose", g.purpose)], [t("admin.expires"), fmtDate(g.expiresAt)]]),
      state.wallet ? el("div", { class: "actions" },
        el("button", { type: "button", "data-give": g.id, onclick: answer(g, true) }, t("consent.give")),
        el("button", { type: "button", class: "danger", "data-refuse": g.id, onclick: answer(g, false) }, t("consent.refuse")))
        : el("p", { class: "hint" }, t("consent.needKey"))))), out);
}

function who(e) {
  if (!e.readerName && e.readerPost && e.readerGrids && e.readerGrids.length) {  // named by post alone: which grids
    return t("person.postOfGrids", { post: label("post", e.readerPost), grids: e.readerGrids.join(t("list.sep")) });
  }
  return personText(e.readerName, e.readerPost) || t("person.unnamed");
}

function under(e) {
  if (e.emergency) return t(e.emergency.reviewed ? "trail.emergencyReviewed" : "trail.emergencyUnreviewed");
  if (e.grantId) return t("trail.underGrant", { id: e.grantId });
  return t("trail.ownBody");
}

/** An entry's verification, as the resident reads it: checking, verified, waiting for the ledger, or failed. */
function verdict(k) {
  const r = state.checks[k];
  if (!r || r.pending) return "checking";
  if (r.error) return "failed";
  const failed = r.filter((x) => !x.ok);
  if (!failed.length) return "passed";
  return failed.every((x) => x.check === "proof" && x.detail === "pending") ? "waiting" : "failed";
}

function checksList(k, onlyFailed = false) {
  const results = state.checks[k];
  if (!results || results.pending) return null;
  if (results.error) return message("error", results.error);
  return el("ul", { class: "checks" }, results.filter((r) => !onlyFailed || !r.ok).map((r) => el("li", { class: r.ok ? "pass" : "fail" },
    t(`verify.${r.check}.${r.ok ? "ok" : "bad"}`), r.detail ? ` (${t(`verify.detail.${r.detail}`)})` : "")));
}

async function check(e, cache = null) {
  const k = key(e);
  try {
    state.checks[k] = await verifyEvent(await materialOf(e), state.chainUrl, cache);
  } catch (err) {
    state.checks[k] = { error: errorText(err) };
  }
}

function redraw(e) {
  const old = document.querySelector(`ol.events li[data-custodian="${e.custodian}"][data-seq="${e.seq}"]`);
  if (old) old.replaceWith(eventItem(e));
}

/** Verifies every entry on the page in this browser, newest first, as soon as the trail opens; entries not on the
 * shared ledger yet are checked again a little later. A new page, a sign-out or leaving cancels it. */
async function verifyAll() {
  const run = ++state.run;
  const cache = checkCache(); // the page's entries share their anchors' logs and their node's signed head
  const queue = state.events.filter((e) => !state.checks[key(e)] || verdict(key(e)) === "checking");
  const worker = async () => { // a few at once, taken newest first: each check mostly waits on the ledger
    for (let e = queue.shift(); e; e = queue.shift()) {
      if (run !== state.run) return;
      state.checks[key(e)] = { pending: true };
      redraw(e);
      await check(e, cache);
      if (run !== state.run) return;
      redraw(e);
    }
  };
  await Promise.all(Array.from({ length: CHECKS_AT_ONCE }, worker));
  if (run !== state.run) return;
  const waiting = state.events.filter((e) => verdict(key(e)) === "waiting");
  if (waiting.length) {
    setTimeout(() => {
      if (run !== state.run) return;
      state.bundles = null; // the anchors are in a newer bundle
      for (const e of waiting) delete state.checks[key(e)];
      verifyAll();
    }, RETRY_MS);
  }
}

function eventItem(e) {
  const id = `ev-${e.custodian}-${e.seq}-h`;
  const k = key(e);
  const v = verdict(k);
  const again = el("button", { type: "button", class: "secondary", "data-seq": e.seq, "aria-describedby": id,
    disabled: v === "checking" }, t("trail.verifyAgain"));
  again.addEventListener("click", () => busy(again, null, async () => {
    state.bundles = null; // asked afresh: what the nodes serve now
    state.checks[k] = { pending: true };
    redraw(e);
    await check(e);
    state.checks[k].shown = true;
    redraw(e);
  }));
  const status = {
    checking: el("p", { class: "msg info", role: "status" }, t("trail.checking")),
    passed: message("ok", t("verify.passed")),
    waiting: message("info", t("trail.waiting")),
    failed: message("error", t("verify.failed")),
  }[v];
  const checks = checksList(k);
  const shown = v === "failed" || (state.checks[k] && state.checks[k].shown);
  const pairs = [
    [t("trail.when"), fmtDate(e.at)],
    [t("trail.keptBy"), label("body", e.custodian)],
    [t("trail.purpose"), label("purpose", e.purpose)],
    [t("trail.fields"), e.fields.map((f) => label("field", f)).join(t("list.sep"))],
    [t("trail.record"), label("category", e.category)],
    [t("trail.under"), under(e)],
  ];
  // A failed entry shows nothing reassuring beside its failure: no "on the shared ledger" line.
  if (v !== "failed") pairs.push([t("trail.anchored"), t(e.anchor ? "trail.anchoredYes" : "trail.anchoredNo")]);
  if (e.sealedUntil) pairs.push([t("trail.sealed"), t("trail.sealedUntil", { date: fmtDate(e.sealedUntil), body: label("body", e.readerBody) })]);
  if (e.notice) pairs.push([t("trail.notified"), e.notice.state === "delivered"
    ? t(`trail.notified.${e.notice.kind}`, { when: fmtDate(e.notice.deliveredAt) }) : t("trail.notifiedPending")]);
  return el("li", { "data-seq": e.seq, "data-custodian": e.custodian, "data-verified": v, class: v === "failed" ? "failed" : null },
    el("h3", { id }, t("trail.readBy", { body: label("body", e.readerBody), who: who(e) })),
    status, facts(pairs),
    v === "failed" ? checksList(k, true) : null, // what failed, and nothing that passed beside it
    checks ? (shown && v !== "failed" ? checks : el("details", {}, el("summary", {}, t("trail.whatChecked")), checks)) : null,
    el("div", { class: "actions" }, again));
}

function signInView(main, rerender, refreshShell) {
  const out = el("div", { "aria-live": "polite" });
  const code = el("input", { type: "text", autocomplete: "off", spellcheck: "false", required: true,
    inputmode: "text", maxlength: 40 });
  const submit = el("button", { type: "submit" }, t("resident.show"));
  const form = el("form", { class: "stack", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const opened = await api("POST", "/trail/by-code/session", { code: code.value.trim() });
      code.value = "";
      Object.assign(state, { session: opened.session, wallet: false, ended: false });
      sessionStorage.setItem(SESSION_KEY, opened.session);
      try {
        await loadPage();
      } catch (err) {
        leave();
        throw err;
      }
      refreshShell(); // the sign-out button
      rerender();
    });
  } }, field("code", "resident.code", code, "resident.codeHint"), el("div", { class: "actions" }, submit), out);
  clear(main,
    el("h1", {}, t("resident.title")),
    el("p", { class: "lead" }, t("resident.lead")),
    state.ended ? message("info", t("resident.sessionEnded")) : null,
    el("section", { class: "card", "aria-labelledby": "code-h" }, el("h2", { id: "code-h" }, t("resident.byCode")), form),
    el("details", { class: "card" }, el("summary", {}, t("resident.byWallet")),
      signInCard(async () => { state.wallet = true; refreshShell(); await loadPage(); rerender(); })));
}

function bodies(parts) {
  return parts.map((x) => label("body", x.custodian)).join(t("list.sep"));
}

function trailView(main, rerender) {
  const p = state.page;
  const chain = el("input", { type: "url", value: state.chainUrl, onchange: (ev) => { state.chainUrl = ev.target.value.trim(); } });
  const out = el("div", { "aria-live": "polite" });
  const bundle = el("button", { type: "button", class: "secondary", id: "bundle" }, t("trail.bundle"));
  bundle.addEventListener("click", () => busy(bundle, out, async () => {
    download("trail-consortium.json", JSON.stringify(await source("/bundle"), null, 2));
  }));
  const answered = p.parts.filter((x) => x.status === "answered");
  const unreachable = p.parts.filter((x) => x.status === "unreachable");
  const total = answered.reduce((n, x) => n + x.total, 0);
  clear(main,
    el("h1", {}, t("resident.title")),
    el("p", { class: "lead" }, t("trail.summary", { count: total, bodies: answered.length })),
    unreachable.length ? el("div", { id: "unreachable" }, message("error", t("trail.unreachable", { bodies: bodies(unreachable) })))
      : null,
    el("p", { class: "hint", id: "asked" }, t("trail.asked", { bodies: bodies(answered) })),
    state.notice ? message("ok", state.notice) : null,
    consentCard(rerender),
    el("div", { class: "actions" }, bundle),
    state.events.length ? el("ol", { class: "events", "aria-label": t("trail.listLabel") },
      state.events.map((e) => eventItem(e))) : message("info", t("trail.none")),
    el("p", { class: "hint" }, t("trail.shown", { shown: state.events.length, total })), out,
    el("details", { class: "card" }, el("summary", {}, t("trail.advanced")),
      field("chain-url", "trail.chainUrl", chain, "trail.chainUrlHint")),
    choicesCard(rerender));
  verifyAll();
}

start({
  name: "resident",
  signedIn() { return state.session !== null || sessionStorage.getItem(SESSION_KEY) !== null; },
  signOut() { leave(); },
  async render(main, refreshShell) {
    if (!state.chainUrl) state.chainUrl = (await portalConfig()).chainUrl;
    if (!state.page && !state.session && sessionStorage.getItem(SESSION_KEY)) { // a reload in this tab
      state.session = sessionStorage.getItem(SESSION_KEY);
      try {
        await loadPage();
      } catch (err) {
        leave();
        state.ended = true;
        refreshShell();
      }
    }
    if (!state.page && !state.session && !state.wallet) {
      const me = await whoAmI();
      if (me && !me.body) {
        state.wallet = true;
        try { await loadPage(); } catch (err) { state.wallet = false; clear(main, message("error", errorText(err))); return; }
      }
    }
    if (state.page) trailView(main, () => this.render(main, refreshShell));
    else signInView(main, () => this.render(main, refreshShell), refreshShell);
    state.notice = null;
  },
});

window.addEventListener("pagehide", () => { state.run += 1; }); // leaving: stop checking
