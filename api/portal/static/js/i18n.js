// The language catalogue: the chosen language, its texts, and dates and numbers in its format.

export const LANGS = ["zh-CN", "en"];
export const LANG_KEY = "cl.lang";
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
