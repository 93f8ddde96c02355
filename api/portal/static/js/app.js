// The portal's shared core, one module per job: i18n.js (the language catalogue), http.js (the API
// client), dom.js (safe DOM building), shell.js (the page shell). Pages import them from here.

export * from "./i18n.js";
export * from "./http.js";
export * from "./dom.js";
export * from "./shell.js";
