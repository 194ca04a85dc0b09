// Starts Swagger UI on the API's own OpenAPI document (a static file: the CSP forbids inline scripts).
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.specUrl, dom_id: "#swagger-ui", deepLinking: true });
});
