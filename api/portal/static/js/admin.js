// Admins of a custodian body: decide requests knowing why (the justification's text, checked here
// against its salted hash on-chain), revoke grants, review emergency reads, vote on admitting or removing
// bodies, see the body's members.

import { api, busy, clear, el, errorText, field, fmtDate, hexDetails, label, message, personText, start, t } from "./app.js";
import { postsCard } from "./posts.js";
import { gate, table, whoLine } from "./staff.js";
import { act } from "./wallet.js";
import { textMatches } from "./verify.js";

const state = { notice: null };

async function keptText(kept, hash) {
  if (!kept) return el("p", { class: "hint" }, t("admin.textMissing"));
  const ok = await textMatches(kept, hash);
  return el("div", {}, el("blockquote", { class: "card" }, kept.text),
    el("span", { class: `tag ${ok ? "ok" : "bad"}` }, t(ok ? "admin.textMatches" : "admin.textDiffers")));
}

async function pendingCard(pending, rerender) {
  const items = [];
  for (const q of pending) {
    const out = el("div", { "aria-live": "polite" });
    const days = el("input", { type: "number", min: 1, max: 3660, value: 30, required: true });
    const reason = el("input", { type: "text", minlength: 3, maxlength: 2000 });
    const approve = el("button", { type: "button", "data-approve": q.id }, t("admin.approve"));
    const deny = el("button", { type: "button", class: "danger", "data-deny": q.id }, t("admin.deny"));
    approve.addEventListener("click", () => busy(approve, out, async () => {
      await act("POST", `/requests/${q.id}/approve`, { days: Number(days.value) });
      state.notice = t("admin.approved", { id: q.id });
      rerender();
    }));
    deny.addEventListener("click", () => busy(deny, out, async () => {
      if (reason.value.trim().length < 3) { out.replaceChildren(message("error", t("admin.reasonNeeded"))); return; }
      await act("POST", `/requests/${q.id}/deny`, { reason: reason.value.trim() });
      state.notice = t("admin.denied", { id: q.id });
      rerender();
    }));
    items.push(el("li", { "data-request": q.id },
      el("h3", {}, t("admin.requestFrom", { id: q.id, body: label("body", q.requesterBody) })),
      el("dl", { class: "facts" },
        el("dt", {}, t("admin.requester")), el("dd", {}, personText(q.requesterName, q.requesterPost) || t("person.unnamed"),
          hexDetails([t("staff.account"), q.requester])),
        el("dt", {}, t("officer.category")), el("dd", {}, label("category", q.category)),
        el("dt", {}, t("form.fields")), el("dd", {}, q.fields.map((f) => label("field", f)).join(t("list.sep"))),
        el("dt", {}, t("form.purpose")), el("dd", {}, label("purpose", q.purpose)),
        el("dt", {}, t("admin.justification")), el("dd", {}, await keptText(q.justification, q.justificationHash))),
      field(`days-${q.id}`, "admin.days", days), field(`reason-${q.id}`, "admin.reason", reason, "admin.reasonHint"),
      el("div", { class: "actions" }, approve, deny), out));
  }
  return el("section", { class: "card", "aria-labelledby": "pending-h" }, el("h2", { id: "pending-h" }, t("admin.pending")),
    items.length ? el("ol", { class: "events" }, items) : message("info", t("admin.noPending")));
}

function grantsCard(grants, rerender) {
  const out = el("div", { "aria-live": "polite" });
  return el("section", { class: "card", "aria-labelledby": "grants-h" }, el("h2", { id: "grants-h" }, t("admin.grants")),
    grants.length ? table([t("admin.grantNo"), t("admin.grantee"), t("officer.category"), t("form.fields"), t("form.purpose"),
      t("admin.expires"), t("officer.status"), t("officer.actions")], grants.slice().reverse().map((g) => el("tr", { "data-grant": g.id },
      el("td", {}, `#${g.id}`), el("td", {}, label("body", g.granteeBody),
        g.grantee ? el("div", { class: "hint" }, personText(g.granteeName, g.granteePost) || t("person.unnamed")) : null),
      el("td", {}, label("category", g.category)), el("td", {}, g.fields.map((f) => label("field", f)).join(t("list.sep"))),
      el("td", {}, label("purpose", g.purpose)), el("td", {}, fmtDate(g.expiresAt)),
      el("td", {}, label("grantState", g.active ? "active" : g.revoked ? "revoked" : "expired"),
        g.consentRequired ? el("div", { class: "hint" }, t(`consent.${g.consent || "none"}`)) : null),
      el("td", {}, g.active ? el("button", { type: "button", class: "danger", "data-revoke": g.id, onclick: (ev) => busy(ev.target, out, async () => {
        await act("DELETE", `/grants/${g.id}`);
        state.notice = t("admin.revoked", { id: g.id });
        rerender();
      }) }, t("admin.revoke")) : null)))) : message("info", t("admin.noGrants")), out);
}

async function emergenciesCard(emergencies, rerender) {
  const items = [];
  for (const em of emergencies) {
    const out = el("div", { "aria-live": "polite" });
    const outcome = el("textarea", { minlength: 3, maxlength: 2000, required: true });
    const review = (justified) => (ev) => busy(ev.target, out, async () => {
      if (outcome.value.trim().length < 3) { out.replaceChildren(message("error", t("admin.outcomeNeeded"))); return; }
      await act("POST", `/emergencies/${em.id}/review`, { justified, outcome: outcome.value.trim() });
      state.notice = t("admin.reviewed", { id: em.id });
      rerender();
    });
    items.push(el("li", {}, el("h3", {}, t("admin.emergencyBy", { id: em.id, body: label("body", em.readerBody) })),
      el("p", {}, personText(em.readerName, em.readerPost) || t("person.unnamed")),
      el("dl", { class: "facts" }, el("dt", {}, t("trail.when")), el("dd", {}, fmtDate(em.declaredAt)),
        el("dt", {}, t("form.fields")), el("dd", {}, em.fields.map((f) => label("field", f)).join(t("list.sep"))),
        el("dt", {}, t("admin.emergencyReason")), el("dd", {}, await keptText(em.reason, em.reasonHash))),
      field(`outcome-${em.id}`, "admin.outcome", outcome),
      el("div", { class: "actions" }, el("button", { type: "button", onclick: review(true) }, t("admin.justified")),
        el("button", { type: "button", class: "danger", onclick: review(false) }, t("admin.unjustified"))), out));
  }
  return el("section", { class: "card", "aria-labelledby": "em-h" }, el("h2", { id: "em-h" }, t("admin.emergencies")),
    items.length ? el("ol", { class: "events" }, items) : message("info", t("admin.noEmergencies")));
}

function votesCard(proposals, rerender) {
  const out = el("div", { "aria-live": "polite" });
  const open = proposals.filter((p) => p.open);
  const closed = proposals.filter((p) => !p.open).slice(0, 5);
  const title = (p) => t(p.action === "admit" ? "admin.proposalAdmit" : "admin.proposalRemove", { id: p.id, body: label("body", p.body) });
  const item = (p) => el("li", { "data-proposal": p.id, "data-open": p.open ? "true" : "false" }, el("h3", {}, title(p)),
    el("dl", { class: "facts" },
      el("dt", {}, t("admin.proposedBy")), el("dd", {}, label("body", p.proposerBody)),
      el("dt", {}, t("admin.voteCount")), el("dd", {}, t("admin.voteOf", { votes: p.votes, required: p.required })),
      el("dt", {}, t(p.open ? "admin.voteUntil" : "officer.status")),
      el("dd", {}, p.open ? fmtDate(p.deadline) : t(p.executed ? "proposal.carried" : "proposal.expired"))),
    !p.open ? null : p.myBodyVoted ? message("info", t("admin.votedAlready"))
      : el("div", { class: "actions" }, el("button", { type: "button", "data-vote": p.id, onclick: (ev) => busy(ev.target, out, async () => {
        await act("POST", `/bodies/proposals/${p.id}/vote`);
        state.notice = t("admin.votedNotice", { id: p.id });
        rerender();
      }) }, t("admin.vote"))));
  return el("section", { class: "card", "aria-labelledby": "votes-h" }, el("h2", { id: "votes-h" }, t("admin.votes")),
    open.length ? el("ol", { class: "events" }, open.map(item)) : message("info", t("admin.noVotes")),
    closed.length ? el("details", {}, el("summary", {}, t("admin.votesClosed")), el("ol", { class: "events" }, closed.map(item))) : null,
    out);
}

function membersCard(members) {
  return el("section", { class: "card", "aria-labelledby": "members-h" }, el("h2", { id: "members-h" }, t("admin.members")),
    table([t("admin.memberName"), t("admin.memberPost"), t("admin.memberRoles"), t("admin.memberAccount")], members.map((m) => el("tr", {},
      el("td", {}, m.name ? label("name", m.name) : "—"), el("td", {}, m.post ? label("post", m.post) : "—"),
      el("td", {}, m.roles.map((r) => label("role", r)).join(t("list.sep"))),
      el("td", {}, hexDetails([t("admin.memberAccount"), m.account]))))));
}

start({
  name: "admin",
  async render(main, refreshShell) {
    const rerender = () => this.render(main, refreshShell);
    const me = await gate(main, "admin", ["admin"], rerender, refreshShell);
    if (!me) return;
    let parts;
    try {
      const [pending, grants, emergencies, proposals, members] = await Promise.all([api("GET", "/requests?view=pending"),
        api("GET", "/grants?view=given"), api("GET", "/emergencies?unreviewed=true"), api("GET", "/bodies/proposals"),
        api("GET", "/bodies/mine/members")]);
      parts = [await pendingCard(pending, rerender), grantsCard(grants, rerender), await emergenciesCard(emergencies, rerender),
        votesCard(proposals, rerender), await postsCard(me, members, state, rerender), membersCard(members)];
    } catch (err) {
      parts = [message("error", errorText(err))];
    }
    clear(main, el("h1", {}, t("page.admin")), whoLine(me), state.notice ? message("ok", state.notice) : null, parts);
    state.notice = null;
  },
});
