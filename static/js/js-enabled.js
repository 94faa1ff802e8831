// Marks the page as having JavaScript, as the NHS.UK frontend expects, before anything
// is drawn: loaded (not deferred) as the first thing in <body>. A file rather than an
// inline script, so that the Content-Security-Policy can refuse every inline script.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
