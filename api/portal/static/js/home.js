// The portal's front page: who is this portal for, and where each of them starts.

import { clear, el, label, portalConfig, start, t } from "./app.js";

start({
  name: "home",
  async render(main) {
    const cfg = await portalConfig();
    clear(main, el("h1", {}, t("home.title", { body: label("body", cfg.body) })), el("p", { class: "lead" }, t("home.lead")),
      el("div", { class: "roles" }, ["resident", "officer", "admin", "auditor"].map((p) =>
        el("a", { class: "card", href: `/${p}` }, el("strong", {}, t(`page.${p}`)), el("p", {}, t(`home.${p}`))))));
  },
});
