// Safe DOM building: every value from the API goes in as text, never as HTML.

import { label, t } from "./i18n.js";
import { errorText } from "./http.js";

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

/** A person in words, from the directory: "name (post)", the name or the post alone; null if none is known. */
export function personText(name, post) {
  const n = name ? label("name", name) : null;
  const p = post ? label("post", post) : null;
  return n && p ? t("person.namePost", { name: n, post: p }) : n || p;
}

/** Hex (an account, a hash) behind a "details" control: the words first, the digits on request. */
export function hexDetails(...pairs) {
  return el("details", { class: "hex" }, el("summary", {}, t("details.show")),
    el("dl", { class: "facts" }, pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { class: "mono" }, v)])));
}

export function short(hex) { return hex ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : ""; }
