// What the officers', admins' and auditors' pages share: signing in (and unlocking the key again
// after a reload), the catalogue of categories and purposes, and small form builders.

import { api, clear, el, field, hexDetails, label, message, personText, t } from "./app.js";
import { needsKey, signInCard, whoAmI } from "./signin.js";

let catalog = null;
export async function getCatalog() {
  if (!catalog) catalog = await api("GET", "/catalog");
  return catalog;
}

export function fieldsOf(category) {
  const found = catalog && catalog.categories.find((c) => c.code === category);
  return found ? found.fields : [];
}

/** Checkboxes of a category's fields, in a fieldset with a legend; `checked` pre-ticks some. */
export function fieldChoice(id, category, checked = []) {
  return el("fieldset", { id }, el("legend", {}, t("form.fields")),
    fieldsOf(category).map((f) => el("label", {},
      el("input", { type: "checkbox", name: "field", value: f, checked: checked.includes(f) }), label("field", f))));
}

export function chosen(fieldset) {
  return [...fieldset.querySelectorAll("input[name=field]:checked")].map((i) => i.value);
}

export function purposeSelect(selected) {
  return el("select", { required: true }, catalog.purposes.map((p) =>
    el("option", { value: p, selected: p === selected }, label("purpose", p))));
}

/**
 * Draws the sign-in card until a member with one of `roles` is signed in and their key is unlocked;
 * returns the signed-in person, or null when the page must wait (the card is drawn in `main`).
 */
export async function gate(main, page, roles, rerender, refreshShell, { needKey = true } = {}) {
  const me = await whoAmI();
  if (!me) {
    clear(main, el("h1", {}, t(`page.${page}`)), el("p", { class: "lead" }, t(`${page}.lead`)),
      signInCard(() => { refreshShell(); rerender(); }));
    return null;
  }
  if (!me.roles.some((r) => roles.includes(r))) {
    clear(main, el("h1", {}, t(`page.${page}`)), message("error", t("error.wrong_role", {
      roles: roles.map((r) => label("role", r)).join(t("list.sep")) })));
    return null;
  }
  if (needKey && needsKey()) {
    clear(main, el("h1", {}, t(`page.${page}`)), signInCard(() => rerender(), { relock: true }));
    return null;
  }
  await getCatalog();
  return me;
}

export function whoLine(me) {
  const vars = { body: label("body", me.body), roles: me.roles.map((r) => label("role", r)).join(t("list.sep")) };
  const who = personText(me.name, me.post);
  return el("div", { class: "lead" }, el("p", {}, who ? t("staff.signedInAs", { ...vars, who }) : t("staff.signedInAsAnon", vars)),
    hexDetails([t("staff.account"), me.address]));
}

/** A table whose cells carry their column's header (data-label): on a phone each row stacks as a card. */
export function table(headers, rows) {
  for (const tr of rows) [...tr.children].forEach((td, i) => { if (headers[i]) td.dataset.label = headers[i]; });
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows)));
}

export { field };
