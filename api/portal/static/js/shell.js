// The page shell: header, navigation (the pages the server lists), language switch, sign-out.

import { LANGS, LANG_KEY, loadLang, lang, t } from "./i18n.js";
import { api, setToken, token } from "./http.js";
import { clear, el } from "./dom.js";

// ------------------------------------------------------------------- shell

let config = null;
export async function portalConfig() {
  if (!config) config = await api("GET", "/portal/config");
  return config;
}

/** The portal's pages, as the server lists them in the shell (pages.py's PAGES): one list, one place. */
function navPages() { return (document.body.dataset.pages || "").split(" ").filter(Boolean); }

function renderShell(page, rerender) {
  document.title = `${t(`page.${page.name}`)} · ${t("app.name")}`;
  document.getElementById("skip").textContent = t("app.skip");
  const select = el("select", { id: "lang", onchange: async (e) => {
    localStorage.setItem(LANG_KEY, e.target.value);
    await loadLang(e.target.value);
    renderShell(page, rerender);
    rerender();
  } }, LANGS.map((l) => el("option", { value: l, selected: l === lang() }, t(`lang.${l}`))));
  const signedIn = token() || (page.signedIn && page.signedIn());
  const signOut = signedIn ? el("button", { class: "secondary", type: "button", onclick: () => {
    setToken(null);
    window.dispatchEvent(new Event("cl-signout")); // the wallet forgets the key and the kept keystore
    if (page.signOut) page.signOut();
    renderShell(page, rerender);
    rerender();
  } }, t("app.signOut")) : null;
  clear(document.getElementById("top"),
    el("a", { class: "brand", href: "/" }, t("app.name")),
    el("nav", { "aria-label": t("app.nav") }, el("ul", {}, navPages().map((n) => el("li", {},
      el("a", { href: `/${n}`, "aria-current": n === page.name ? "page" : null }, t(`page.${n}`)))))),
    el("div", {}, el("label", { for: "lang", class: "visually-hidden" }, t("app.language")), select),
    signOut);
}

/** Starts a page: `page.render(main)` draws it from its own state, again after a language switch or sign-out. */
export async function start(page) {
  await loadLang();
  const main = document.getElementById("main");
  const rerender = () => page.render(main, () => renderShell(page, rerender));
  renderShell(page, rerender);
  await rerender();
}
