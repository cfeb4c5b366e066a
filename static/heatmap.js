/* The gap heat map (reports/gaps.html): a row's ▸ shows the rows under it in place — a commune's
   departments, a department's officials — fetched as <tr> from /bao-cao/thieu-hut/hang
   (reports.gap_rows, under the page's columns). Without JavaScript the ▸ stays hidden and the
   row's name opens the same level as its own page (?unit=…); when the rows cannot be loaded,
   the row says so and links there. A second click folds the rows again. */
(function () {
  "use strict";

  function depthOf(row) {
    return parseInt(row.getAttribute("data-depth") || "0", 10);
  }

  function showToggles(root) {
    root.querySelectorAll(".heat-toggle[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function fold(row) {
    var depth = depthOf(row);
    var next = row.nextElementSibling;
    while (next && depthOf(next) > depth) {
      var after = next.nextElementSibling;
      next.remove();
      next = after;
    }
  }

  function messageRow(row, text) {
    var line = document.createElement("tr");
    line.className = "heat-depth-" + (depthOf(row) + 1);
    line.setAttribute("data-depth", String(depthOf(row) + 1));
    var cell = document.createElement("td");
    cell.colSpan = row.children.length;
    cell.className = "text-start text-muted";
    cell.setAttribute("role", "status");
    cell.textContent = text;
    line.appendChild(cell);
    row.after(line);
    return line;
  }

  function expand(button, row) {
    var depth = depthOf(row) + 1;
    var waiting = messageRow(row, "Đang tải…");
    button.disabled = true;
    fetch(button.getAttribute("data-rows") + "&depth=" + depth, {
      credentials: "same-origin", headers: {"Accept": "text/html"}
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      var body = document.createElement("tbody");
      body.innerHTML = html;
      var rows = Array.prototype.slice.call(body.children);
      rows.forEach(function (line) { waiting.before(line); showToggles(line); });
      waiting.remove();
      button.setAttribute("aria-expanded", "true");
      button.title = "Thu gọn";
    }).catch(function () {
      var cell = waiting.firstChild;
      cell.textContent = "Không tải được các dòng bên dưới. ";
      var link = row.querySelector("th a");
      if (link) {
        var open = document.createElement("a");
        open.href = link.href;
        open.textContent = "Mở trang của đơn vị";
        cell.appendChild(open);
      }
    }).finally(function () {
      button.disabled = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("table.heatmap .heat-toggle");
    if (!button || button.disabled) return;
    var row = button.closest("tr");
    if (button.getAttribute("aria-expanded") === "true") {
      fold(row);
      button.setAttribute("aria-expanded", "false");
      button.title = "Mở các dòng bên dưới";
    } else {
      fold(row);  // a message left by a failed load
      expand(button, row);
    }
  });

  function ready() { showToggles(document); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
