// Starts Swagger UI on the docs page. Kept out of the HTML so the page's Content-Security-Policy
// can forbid inline scripts; the spec URL comes from the container's data-spec-url attribute.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui-container"
  });
});
