// Peyvand — behaviour that needs script; loaded as a file (the CSP forbids inline script).
(function () {
  "use strict";
  // Buttons with data-copy="#id" copy that element's text (e.g. a new API token).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied") || button.textContent;
      });
    }
  });
  // Forms with data-confirm ask before submitting (deactivate, purge, revoke).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // Selects with data-autosubmit submit their form when changed (workspace switcher).
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });
})();
