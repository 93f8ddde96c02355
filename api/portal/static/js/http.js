// The API client: the session token, JSON calls with typed errors, and errors in words.

import { has, t } from "./i18n.js";

const TOKEN_KEY = "cl.token";

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
