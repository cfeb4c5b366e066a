/* Behaviour that templates ask for with data-* attributes: templates carry no JavaScript and no
   style="…", so a Content-Security-Policy without 'unsafe-inline' holds and no name can become
   code (trainer/security.py, docs/security.md).
   - data-confirm="…" on a form or its submit button: ask before sending (destructive actions);
   - data-busy="…" on a form: while it is sent, its button shows a spinner and cannot be pressed
     twice (large imports take a few seconds);
   - data-print on a button: print the page;
   - data-check-all="name" on a checkbox: ticks or clears every checkbox named `name`;
   - sizes and colours the page computes per element (set here through the CSSOM, which the
     policy allows): data-percent="42.5" (a progress bar's width), data-height-rem="12",
     data-indent-rem="2" (padding-left). (The heat map's colours are classes: app.css, .hm0…);
   - table.table-stack: labels for the rows a phone stacks (see stackLabels). */
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

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("change", function (event) {
    var all = event.target;
    var name = all.getAttribute && all.getAttribute("data-check-all");
    if (!name) return;
    document.querySelectorAll("input[type=checkbox][name='" + CSS.escape(name) + "']")
      .forEach(function (box) { box.checked = all.checked; });
  });

  function each(attribute, apply) {
    document.querySelectorAll("[" + attribute + "]").forEach(function (element) {
      var value = parseFloat(element.getAttribute(attribute));
      if (isFinite(value)) apply(element.style, value);
    });
  }

  function sizes() {
    each("data-percent", function (style, v) { style.width = Math.min(Math.max(v, 0), 100) + "%"; });
    each("data-height-rem", function (style, v) { style.height = v + "rem"; });
    each("data-indent-rem", function (style, v) { style.paddingLeft = v + "rem"; });
  }

  // table.table-stack: each cell gets its column's name as data-label, which app.css shows
  // above the cell when a phone stacks the rows (a header whose text is only for screen readers,
  // .visually-hidden, gives no label).
  function stackLabels() {
    document.querySelectorAll("table.table-stack").forEach(function (table) {
      var heads = [];
      table.querySelectorAll("thead tr:first-child > th").forEach(function (th) {
        var copy = th.cloneNode(true);
        copy.querySelectorAll(".visually-hidden").forEach(function (hidden) { hidden.remove(); });
        for (var i = 0; i < (th.colSpan || 1); i++) heads.push(copy.textContent.trim());
      });
      table.querySelectorAll("tbody > tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          var label = heads[column];
          if (label && cell.tagName === "TD" && cell.colSpan === 1 && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", label);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  function ready() {
    sizes();
    stackLabels();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
