/* Behaviour that templates ask for with data-* attributes: templates carry no JavaScript, so a
   Content-Security-Policy without 'unsafe-inline' holds and no name can become code.
   - data-confirm="…" on a form or its submit button: ask before sending (destructive actions);
   - data-busy="…" on a form: while it is sent, its button shows a spinner and cannot be pressed
     twice (large imports take a few seconds). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter || form.querySelector("button[type=submit]");
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    var busy = form.getAttribute("data-busy");
    if (busy && button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
      var spinner = document.createElement("span");
      spinner.className = "spinner-border spinner-border-sm";
      spinner.setAttribute("aria-hidden", "true");
      var text = document.createElement("span");
      text.setAttribute("role", "status");
      text.textContent = " " + busy;
      button.replaceChildren(spinner, text);
    }
  });
})();
