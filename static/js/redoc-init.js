/* Draws the API reference with ReDoc, in colours that meet WCAG 2.2 AA contrast (the
   design system's text, link, green and red), from the schema address the page gives. */
(function () {
  "use strict";
  var element = document.getElementById("redoc");
  if (!element || !window.Redoc) {
    return;
  }
  window.Redoc.init(element.getAttribute("data-spec-url"), {
    theme: {
      colors: {
        primary: { main: "#005eb8" },
        success: { main: "#007f3b" },
        error: { main: "#c4221a" },
        text: { primary: "#212b32", secondary: "#4c6272" },
        responses: {
          success: { color: "#006530", backgroundColor: "#e6f2eb" },
          error: { color: "#a3221a", backgroundColor: "#f9e9e8" }
        }
      },
      typography: { code: { color: "#a3221a", backgroundColor: "#f4f4f4" } }
    }
  }, element);
}());
