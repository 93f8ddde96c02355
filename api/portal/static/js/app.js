// The portal's shared core: the language catalogue, the API client, safe DOM building, the page shell.
// Nothing here builds HTML from strings: every value from the API goes in as text.

export const LANGS = ["zh-CN", "en"];
const LANG_KEY = "cl.lang";
const TOKEN_KEY = "cl.token";
let catalogue = {};
let current = "zh-CN";

// ---------------------------------------------------------------- language

export function lang() { return current; }

export async function loadLang(want) {
  const saved = want || localStorage.getItem(LANG_KEY);
  current = LANGS.includes(saved) ? saved : "zh-CN";
  const r = await fetch(`/static/i18n/${current}.json`);
  catalogue = await r.json();
  document.documentElement.lang = current;
}

export function has(key) { return Object.prototype.hasOwnProperty.call(catalogue, key); }

/** The catalogue's text for `key`, with {name} placeholders filled; a missing key shows as ⟦key⟧. */
export function t(key, vars = {}) {
  if (typeof vars.count === "number") {  // a plural form when the catalogue has one: "trail.summary.one"
    const form = `${key}.${new Intl.PluralRules(current).select(vars.count)}`;
    if (has(form)) key = form;
  }
  if (!has(key)) return `⟦${key}⟧`;
  return catalogue[key].replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** A code (body, purpose, category, field, role, status) in words, or the code itself when unknown. */
export function label(kind, code) { return has(`${kind}.${code}`) ? t(`${kind}.${code}`) : String(code); }

export function fmtDate(value) {
  const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

export function fmtDay(value) {
  return new Intl.DateTimeFormat(current, { month: "numeric", day: "numeric" }).format(new Date(value + "T00:00:00"));
}

export function fmtNumber(n) { return new Intl.NumberFormat(current).format(n); }

// --------------------------------------------------------------------- API

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "unknown";
    this.decision = body && body.decision;
    this.error = body && body.error;
  }
}

/** A local failure with a catalogue key (a wrong keystore password, a failed check...). */
export class PortalError extends Error {
  constructor(key, vars = {}) { super(key); this.key = key; this.vars = vars; }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY); }
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
}

export async function api(method, path, body, { raw = false } = {}) {
  const headers = { Accept: "application/json" };
  const tk = token();
  if (tk) headers.Authorization = `Bearer ${tk}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { code: "network" });
  }
  if (raw && r.ok) return r;
  let data = null;
  try { data = await r.json(); } catch (e) { data = { code: "not_json" }; }
  if (!r.ok) {
    if (r.status === 401 && tk) setToken(null);
    throw new ApiError(r.status, data || {});
  }
  return data;
}

/** An error as a sentence in the reader's language: never raw JSON or hex. */
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.decision && has(`decision.${err.decision}`)) return t(`decision.${err.decision}`);
    if (err.error && has(`error.${err.error}`)) return t(`error.${err.error}`);
    if (has(`error.${err.code}`)) return t(`error.${err.code}`);
    return t("error.status", { status: err.status });
  }
  if (err instanceof PortalError) return t(err.key, err.vars);
  console.error(err);
  return t("error.unexpected");
}

// --------------------------------------------------------------------- DOM

/** An element with attributes and children; strings become text nodes, never markup. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(node, ...children) { node.replaceChildren(); append(node, children); return node; }

export function message(kind, text) {
  return el("p", { class: `msg ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** A labelled input; `id` ties the label to it. */
export function field(id, labelKey, input, hintKey) {
  input.id = id;
  const hint = hintKey ? el("span", { class: "hint", id: `${id}-hint` }, t(hintKey)) : null;
  if (hint) input.setAttribute("aria-describedby", `${id}-hint`);
  return el("div", {}, el("label", { for: id }, t(labelKey)), hint, input);
}

export function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.filter(Boolean).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

/** Runs `work` with the button disabled, showing its error (in words) in `out`. */
export async function busy(button, out, work) {
  button.disabled = true;
  if (out) out.replaceChildren();
  try {
    return await work();
  } catch (err) {
    if (out) out.replaceChildren(message("error", errorText(err)));
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export function download(name, text, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function short(hex) { return hex ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : ""; }

// ------------------------------------------------------------------- shell

let config = null;
export async function portalConfig() {
  if (!config) config = await api("GET", "/portal/config");
  return config;
}

const NAV = ["resident", "officer", "admin", "auditor"];

function renderShell(page, rerender) {
  document.title = `${t(`page.${page.name}`)} · ${t("app.name")}`;
  document.getElementById("skip").textContent = t("app.skip");
  const select = el("select", { id: "lang", onchange: async (e) => {
    localStorage.setItem(LANG_KEY, e.target.value);
    await loadLang(e.target.value);
    renderShell(page, rerender);
    rerender();
  } }, LANGS.map((l) => el("option", { value: l, selected: l === current }, t(`lang.${l}`))));
  const signOut = token() ? el("button", { class: "secondary", type: "button", onclick: () => {
    setToken(null);
    if (page.signOut) page.signOut();
    renderShell(page, rerender);
    rerender();
  } }, t("app.signOut")) : null;
  clear(document.getElementById("top"),
    el("a", { class: "brand", href: "/" }, t("app.name")),
    el("nav", { "aria-label": t("app.nav") }, el("ul", {}, NAV.map((n) => el("li", {},
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
