/* A background job's page (templates/jobs/show.html, trainer/jobs): polls the job's status URL
   (data-status-url) and moves the progress bar and the status text; once the job is done or has
   failed, reloads the page, which then shows the download button or the error. Without
   JavaScript the page's “Tải lại” link does the same by hand. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var state = box.getAttribute("data-state");
  if (state === "done" || state === "failed") return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("[data-job-bar]");
  var meter = bar && bar.parentElement;
  var percent = box.querySelector("[data-job-percent]");
  var text = box.querySelector("[data-job-text]");
  var noWorker = box.querySelector("[data-job-no-worker]");
  var delay = 1000;

  function show(status) {
    if (typeof status.percent === "number") {
      var p = Math.min(Math.max(status.percent, 0), 100);
      if (bar) bar.style.width = p + "%";
      if (meter) meter.setAttribute("aria-valuenow", String(p));
      if (percent) percent.textContent = p + "%";
    }
    if (text && status.text) text.textContent = status.text;
    if (noWorker) noWorker.classList.toggle("d-none", status.worker !== false);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        show(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
        delay = Math.min(delay + 250, 3000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
