// Swagger UI over this node's OpenAPI schema (the library comes from the npm install, not a CDN).
window.ui = window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
