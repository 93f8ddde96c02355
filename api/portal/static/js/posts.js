// The admin's posts and grids: who holds which post and the grids it covers, assigning one (the former
// post ends) and ending one (every grant bound to it stops at its next read); at a residents' committee,
// placing a resident in one of its grids. Each is a chain action signed with the admin's own key.

import { api, busy, el, field, fmtDate, hexDetails, label, message, personText, short, t } from "./app.js";
import { table } from "./staff.js";
import { act } from "./wallet.js";

const YEAR_MS = 365 * 24 * 3600 * 1000;

function scopeText(a, names, body) {
  return a.grids.length ? a.grids.map((g) => names[g] || g).join(t("list.sep")) : t("officer.postWhole", { body: label("body", body) });
}

function assignForm(members, posts, grids, state, rerender) {
  const out = el("div", { "aria-live": "polite" });
  const member = el("select", { required: true }, members.map((m) => el("option", { value: m.account },
    [personText(m.name, m.post), short(m.account)].filter(Boolean).join(" · "))));
  const post = el("select", { required: true }, posts.map((p) => el("option", { value: p }, label("postcode", p))));
  const boxes = grids.map((g) => el("label", {}, el("input", { type: "checkbox", value: g.code, name: "grid" }), g.name));
  const until = el("input", { type: "date", required: true, value: new Date(Date.now() + YEAR_MS).toISOString().slice(0, 10) });
  const submit = el("button", { type: "submit" }, t("posts.assign"));
  const form = el("form", { class: "stack", id: "assign-form", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const chosen = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
      await act("POST", "/assignments", { member: member.value, post: post.value, grids: chosen, until: `${until.value}T23:59:59Z` });
      state.notice = t("posts.assigned", { post: label("postcode", post.value) });
      rerender();
    });
  } },
  field("assign-member", "posts.member", member), field("assign-post", "posts.post", post),
  grids.length ? el("fieldset", {}, el("legend", {}, t("posts.grids")), el("p", { class: "hint" }, t("posts.gridsHint")), boxes) : null,
  field("assign-until", "posts.until", until), el("div", { class: "actions" }, submit), out);
  return form;
}

function placeForm(grids, state, rerender) {
  const out = el("div", { "aria-live": "polite" });
  const nid = el("input", { type: "text", autocomplete: "off", required: true, maxlength: 32 });
  const grid = el("select", {}, [...grids.map((g) => el("option", { value: g.code }, g.name)), el("option", { value: "" }, t("posts.noGrid"))]);
  const submit = el("button", { type: "submit" }, t("posts.place"));
  return el("form", { class: "stack", id: "place-form", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      await act("PUT", "/residents/grid", { nationalId: nid.value.trim(), grid: grid.value || null });
      state.notice = grid.value ? t("posts.placed", { grid: grids.find((g) => g.code === grid.value).name }) : t("posts.unplaced");
      rerender();
    });
  } }, el("h3", {}, t("posts.placeTitle")), el("p", { class: "hint" }, t("posts.placeHint")),
  field("place-nid", "officer.nationalId", nid), field("place-grid", "posts.grid", grid), el("div", { class: "actions" }, submit), out);
}

/** The card: current assignments with an End button each, the assign form, and (with grids) placing a resident. */
export async function postsCard(me, members, state, rerender) {
  const [assignments, posts, grids] = await Promise.all([api("GET", "/assignments?current=true"), api("GET", "/posts"), api("GET", "/grids")]);
  const names = Object.fromEntries(grids.map((g) => [g.code, g.name]));
  const out = el("div", { "aria-live": "polite" });
  const rows = assignments.map((a) => el("tr", { "data-assignment": a.id, "data-member": a.member },
    el("td", {}, a.name ? label("name", a.name) : [t("person.unnamed"), hexDetails([t("admin.memberAccount"), a.member])]),
    el("td", {}, label("postcode", a.post)),
    el("td", {}, scopeText(a, names, me.body)), el("td", {}, fmtDate(a.until)),
    el("td", {}, el("button", { type: "button", class: "danger", "data-end": a.id, onclick: (ev) => busy(ev.target, out, async () => {
      await act("DELETE", `/assignments/${a.id}`);
      state.notice = t("posts.ended", { post: label("postcode", a.post) });
      rerender();
    }) }, t("posts.end")))));
  return el("section", { class: "card", id: "posts", "aria-labelledby": "posts-h" }, el("h2", { id: "posts-h" }, t("posts.title")),
    el("p", { class: "hint" }, t("posts.hint")),
    rows.length ? table([t("posts.member"), t("posts.post"), t("posts.covers"), t("posts.until"), t("officer.actions")], rows)
      : message("info", t("posts.none")), out,
    el("h3", {}, t("posts.assignTitle")), assignForm(members.filter((m) => m.roles.includes("officer") || m.roles.includes("admin")), posts, grids, state, rerender),
    grids.length ? placeForm(grids, state, rerender) : null);
}
