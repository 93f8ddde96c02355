// Officers: find a resident's records, request access with a purpose and a justification, follow the
// requests, and read what was granted: the read request signed here, each field verified on-chain.

import { api, busy, clear, el, errorText, facts, field, fmtDate, hexDetails, label, message, portalConfig, start, t } from "./app.js";
import { chosen, fieldChoice, gate, purposeSelect, table, whoLine } from "./staff.js";
import { act, eventArg, signTyped } from "./wallet.js";
import { verifyDisclosure } from "./verify.js";
import { sealsCard } from "./seals.js";

const state = { found: null, nationalId: "", target: null, mode: null, notice: null, read: null };
const POLL_MS = 5000; // "my requests" follows the chain index of this node without a reload
let poll = null;

async function mine() {
  return Promise.all([api("GET", "/requests?view=mine"), api("GET", "/grants?view=mine")]);
}

/** Re-asks for my requests and grants every few seconds and redraws only that card when they changed. */
function follow(seen, rerender) {
  clearInterval(poll);
  let last = JSON.stringify(seen);
  poll = setInterval(async () => {
    const card = document.getElementById("mine");
    if (!card) { clearInterval(poll); return; }
    let fresh;
    try { fresh = await mine(); } catch (err) { return; } // a missed turn: the next one asks again
    const now = JSON.stringify(fresh);
    if (now !== last) { last = now; card.replaceWith(requestsCard(fresh[0], fresh[1], rerender)); }
  }, POLL_MS);
}

/** The post I hold and the grids it covers: what I read as my body's own. Holding none matters only at a
 * body divided into grids (a committee): elsewhere nothing is said of it. */
function postLine(mine, grids, me) {
  if (!mine || !mine.inForce) {
    return grids.length ? message("info", t("officer.noPost", { body: label("body", me.body) })) : null;
  }
  const names = Object.fromEntries(grids.map((g) => [g.code, g.name]));
  const scope = mine.grids.length ? mine.grids.map((g) => names[g] || g).join(t("list.sep"))
    : t("officer.postWhole", { body: label("body", me.body) });
  return el("p", { id: "my-post", "data-post": mine.post },
    t("officer.post", { post: label("postcode", mine.post), scope, date: fmtDate(mine.until) }));
}

function searchCard(rerender) {
  const out = el("div", { "aria-live": "polite" });
  const nid = el("input", { type: "text", autocomplete: "off", required: true, maxlength: 32, value: state.nationalId });
  const submit = el("button", { type: "submit" }, t("officer.find"));
  const form = el("form", { class: "stack", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      state.nationalId = nid.value.trim();
      state.found = await api("POST", "/records/search", { nationalId: state.nationalId });
      state.target = null;
      rerender();
    });
  } }, field("nid", "officer.nationalId", nid, "officer.nationalIdHint"), el("div", { class: "actions" }, submit), out);
  const results = state.found === null ? null : state.found.length === 0 ? message("info", t("officer.noRecords"))
    : table([t("officer.category"), t("officer.keptBy"), t("officer.version"), t("officer.status"),
      t("officer.actions")],
      state.found.map((r) => el("tr", { "data-custodian": r.custodian },
        el("td", {}, label("category", r.category), hexDetails([t("officer.recordId"), r.recordId])),
        el("td", {}, label("body", r.custodian)),
        el("td", {}, String(r.version)), el("td", {}, label("status", r.status)),
        el("td", {}, el("div", { class: "actions" },
          el("button", { type: "button", class: "secondary", "data-record": r.recordId,
            onclick: () => { state.target = { record: r, fields: [], purpose: null }; state.mode = "request"; rerender(); } },
          t("officer.requestAccess")),
          el("button", { type: "button", class: "secondary", "data-read": r.recordId,
            onclick: () => { state.target = { record: r, fields: [], purpose: null }; state.mode = "read"; rerender(); } },
          t("officer.read")))))));
  return el("section", { class: "card", "aria-labelledby": "find-h" }, el("h2", { id: "find-h" }, t("officer.findTitle")),
    form, results);
}

function requestCard(rerender) {
  const { record } = state.target;
  const out = el("div", { "aria-live": "polite" });
  const fields = fieldChoice("req-fields", record.category);
  const purpose = purposeSelect();
  const why = el("textarea", { required: true, minlength: 3, maxlength: 2000 });
  const held = state.held && state.held.inForce ? state.held : null;
  const forPost = el("input", { type: "checkbox", id: "req-for-post" });
  const submit = el("button", { type: "submit" }, t("officer.sendRequest"));
  const form = el("form", { class: "stack", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const picked = chosen(fields);
      if (!picked.length) { out.replaceChildren(message("error", t("error.no_fields"))); return; }
      const done = await act("POST", "/requests", { scope: "record", recordId: record.recordId, fields: picked,
        purpose: purpose.value, justification: why.value, ...(held && forPost.checked ? { post: held.post } : {}) });
      state.notice = t("officer.requestSent", { id: eventArg(done, "AccessRequested", "requestId") });
      state.target = null;
      rerender();
    });
  } }, fields, field("req-purpose", "form.purpose", purpose),
  field("req-why", "officer.justification", why, "officer.justificationHint"),
  held ? el("div", {}, el("label", { for: "req-for-post" }, forPost, " ",
    t("officer.forPost", { post: label("postcode", held.post) })), el("p", { class: "hint" }, t("officer.forPostHint"))) : null,
  el("div", { class: "actions" }, submit,
    el("button", { type: "button", class: "secondary", onclick: () => { state.target = null; rerender(); } }, t("form.cancel"))), out);
  return el("section", { class: "card", "aria-labelledby": "req-h" },
    el("h2", { id: "req-h" }, t("officer.requestTitle", { category: label("category", record.category) })), form);
}

async function doRead(target, out) {
  const typed = (await api("POST", "/reads/prepare", { recordId: target.recordId, fields: target.fields,
    purpose: target.purpose })).typedData;
  const signature = await signTyped(typed);
  const answer = await api("POST", "/reads", { typedData: typed, signature });
  const cfg = await portalConfig();
  let checked;
  try {
    checked = await verifyDisclosure(answer.bundle, cfg.chainUrl, cfg.chainId);
  } catch (err) {
    checked = { onChain: false, fields: {}, error: errorText(err) };
  }
  state.read = { answer, checked, category: target.category };
}

function readCard(rerender) {
  const { record } = state.target;
  const out = el("div", { "aria-live": "polite" });
  const fields = fieldChoice("read-fields", record.category, state.target.fields);
  const purpose = purposeSelect(state.target.purpose);
  const submit = el("button", { type: "submit" }, t("officer.signAndRead"));
  const form = el("form", { class: "stack", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const picked = chosen(fields);
      if (!picked.length) { out.replaceChildren(message("error", t("error.no_fields"))); return; }
      await doRead({ recordId: record.recordId, fields: picked, purpose: purpose.value, category: record.category }, out);
      state.target = null;
      rerender();
    });
  } }, fields, field("read-purpose", "form.purpose", purpose), el("p", { class: "hint" }, t("officer.readHint")),
  el("div", { class: "actions" }, submit,
    el("button", { type: "button", class: "secondary", onclick: () => { state.target = null; rerender(); } }, t("form.cancel"))), out);
  return el("section", { class: "card", "aria-labelledby": "read-h" },
    el("h2", { id: "read-h" }, t("officer.readTitle", { category: label("category", record.category) })), form);
}

function readResult() {
  const { answer, checked, category } = state.read;
  const r = answer.receipt;
  return el("section", { class: "card", id: "read-result", "aria-labelledby": "result-h" },
    el("h2", { id: "result-h" }, t("officer.resultTitle", { category: label("category", category) })),
    checked.onChain ? message("ok", t("officer.commitmentOk")) : message("error", checked.error || t("officer.commitmentBad")),
    table([t("officer.field"), t("officer.value"), t("officer.verified")], answer.bundle.fields.map((f) => el("tr", {},
      el("td", {}, label("field", f.name)), el("td", {}, f.value === null ? t("officer.empty") : typeof f.value === "string" ? f.value : JSON.stringify(f.value)),
      el("td", {}, el("span", { class: `tag ${checked.fields[f.name] ? "ok" : "bad"}` },
        t(checked.fields[f.name] ? "officer.fieldOk" : "officer.fieldBad")))))),
    el("h3", {}, t("officer.receipt")),
    facts([[t("officer.receiptSeq"), String(r.seq)], [t("officer.receiptAt"), fmtDate(r.at)],
      [t("officer.receiptAnchorBy"), fmtDate(r.anchorBy)]]),
    hexDetails([t("officer.receiptHash"), r.eventHash], [t("officer.receiptSigner"), r.signer]));
}

function codeCard() {
  // A committee's own staff give their residents the access code to their trail (shown once).
  const out = el("div", { "aria-live": "polite" });
  const nid = el("input", { type: "text", autocomplete: "off", required: true, maxlength: 32 });
  const submit = el("button", { type: "submit" }, t("officer.issueCode"));
  const form = el("form", { class: "stack", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const issued = await api("POST", "/trail/codes", { nationalId: nid.value.trim() });
      nid.value = "";
      out.replaceChildren(message("ok", t("officer.codeIssued")), el("p", { class: "mono", id: "issued-code" }, issued.code),
        el("p", { class: "hint" }, t("officer.codeValid", { date: fmtDate(issued.expiresAt) })));
    });
  } }, field("code-nid", "officer.nationalId", nid, "officer.codeHint"), el("div", { class: "actions" }, submit), out);
  return el("section", { class: "card", "aria-labelledby": "code-h" }, el("h2", { id: "code-h" }, t("officer.codeTitle")), form);
}

function requestsCard(requests, grants, rerender) {
  const out = el("div", { "aria-live": "polite" });
  const readGrant = (g) => el("button", { type: "button", class: "secondary", "data-grant": g.id, onclick: (ev) => busy(ev.target, out, async () => {
    await doRead({ recordId: g.recordId, fields: g.fields, purpose: g.purpose, category: g.category }, out);
    rerender();
  }) }, t("officer.readGranted"));
  return el("section", { class: "card", id: "mine", "aria-labelledby": "mine-h" }, el("h2", { id: "mine-h" }, t("officer.myRequests")),
    requests.length ? table([t("officer.requestNo"), t("officer.category"), t("officer.keptBy"), t("form.fields"), t("form.purpose"), t("officer.status"), t("officer.actions")],
      requests.slice().reverse().map((q) => {
        const g = grants.find((x) => x.id === q.grantId);
        return el("tr", { "data-request": q.id, "data-state": g ? (g.active ? "active" : g.revoked ? "revoked" : "expired") : q.status },
          el("td", {}, `#${q.id}`), el("td", {}, label("category", q.category)), el("td", {}, label("body", q.custodian)),
          el("td", {}, q.fields.map((f) => label("field", f)).join(t("list.sep"))), el("td", {}, label("purpose", q.purpose)),
          el("td", {}, g ? label("grantState", g.active ? "active" : g.revoked ? "revoked" : "expired") : label("status", q.status),
            g && g.active ? el("span", { class: "hint" }, ` ${t("officer.until", { date: fmtDate(g.expiresAt) })}`) : null),
          el("td", {}, g && g.active && g.recordId ? readGrant(g) : null));
      })) : message("info", t("officer.noRequests")), out);
}

start({
  name: "officer",
  signOut() { clearInterval(poll); Object.assign(state, { found: null, target: null, read: null, notice: null }); },
  async render(main, refreshShell) {
    const rerender = () => this.render(main, refreshShell);
    const me = await gate(main, "officer", ["officer", "admin"], rerender, refreshShell);
    if (!me) return;
    const cfg = await portalConfig();
    let requests = [], grants = [], post = null, problem = null;
    try {
      const [[r, g], held, grids] = await Promise.all([mine(), api("GET", "/assignments/mine"), api("GET", "/grids")]);
      [requests, grants] = [r, g];
      post = postLine(held, grids, me);
      state.held = held;
    } catch (err) { problem = errorText(err); }
    let seals = null;
    try { seals = await sealsCard(grants.filter((g) => g.active), state, rerender); } catch (err) { problem = errorText(err); }
    clear(main, el("h1", {}, t("page.officer")), whoLine(me), post,
      state.notice ? message("ok", state.notice) : null, problem ? message("error", problem) : null,
      state.read ? readResult() : null,
      state.target && state.mode === "request" ? requestCard(rerender) : null,
      state.target && state.mode === "read" ? readCard(rerender) : null,
      searchCard(rerender), requestsCard(requests, grants, rerender), seals,
      // only a resident's own committee issues their code, at its node: a department is never offered it
      me.body === cfg.body && cfg.kind === "residents_committee" ? codeCard() : null);
    state.notice = null;
    if (!problem) follow([requests, grants], rerender);
  },
});
