// The sign-in card every staff page shares: a keystore V3 file and its password (decrypted here,
// never sent), or the browser's own wallet; then Sign-In with Ethereum at this node.

import { api, busy, el, field, message, PortalError, t, token } from "./app.js";
import { forget, fromInjected, fromKeystore, hasInjectedWallet, keptKeystore, signIn, unlocked } from "./wallet.js";

/** Who is signed in (GET /auth/me), or null. */
export async function whoAmI() {
  if (!token()) return null;
  try { return await api("GET", "/auth/me"); } catch (e) { return null; }
}

/** The sign-in card; `done(me)` runs once signed in. `relock` asks only to unlock the key again. */
export function signInCard(done, { relock = false } = {}) {
  const out = el("div", { "aria-live": "polite" });
  const kept = relock && keptKeystore() !== null; // after a reload in this tab: the password alone
  const file = kept ? null : el("input", { type: "file", accept: ".json,application/json", required: true });
  const password = el("input", { type: "password", autocomplete: "current-password", required: true });
  const submit = el("button", { type: "submit" }, t(relock ? "signin.unlock" : "signin.submit"));
  const form = el("form", { class: "stack", onsubmit: (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      if (file && !file.files.length) throw new PortalError("error.keystore_file");
      out.replaceChildren(message("info", t("signin.decrypting")));
      await fromKeystore(file ? file.files[0] : null, password.value);
      password.value = "";
      const me = relock ? await api("GET", "/auth/me") : await signIn();
      done(me);
    });
  } },
  file ? field("keystore", "signin.keystore", file, "signin.keystoreHint") : el("p", { class: "hint" }, t("signin.keptHint")),
  field("password", "signin.password", password),
  el("div", { class: "actions" }, submit,
    hasInjectedWallet() ? el("button", { type: "button", class: "secondary", onclick: (ev) => busy(ev.target, out,
      async () => { await fromInjected(); done(relock ? await api("GET", "/auth/me") : await signIn()); }) },
    t("signin.wallet")) : null),
  out);
  return el("section", { class: "card", "aria-labelledby": "signin-h" },
    el("h2", { id: "signin-h" }, t(relock ? "signin.relockTitle" : "signin.title")),
    el("p", { class: "hint" }, t("signin.privacy")), form);
}

export function needsKey() { return !unlocked(); }
export { forget };
