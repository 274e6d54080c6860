// The API reference: Swagger UI (served by the host from npm's swagger-ui-dist) on /openapi.json.
(function () {
  var el = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: el.getAttribute("data-url"), domNode: el, deepLinking: true });
})();
