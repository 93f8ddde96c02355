// ReDoc over this node's OpenAPI schema (the library comes from the npm install, not a CDN).
window.Redoc.init("/openapi.json", { hideDownloadButton: false }, document.getElementById("redoc"));
