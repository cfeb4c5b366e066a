/* The Chart.js charts (static/vendor/chart.umd.min.js, loaded before this file). Their data comes
   as JSON in the data-json attribute of a hidden element: templates carry no JavaScript, not even
   a data block (STYLE.md §11). Each chart draws when its canvas and data are on the page. */
(function () {
  "use strict";

  function json(id) {
    var block = document.getElementById(id);
    return block ? JSON.parse(block.dataset.json) : null;
  }

  var fmt = function (ms) { return new Date(ms).toLocaleDateString("vi-VN", {timeZone: "UTC"}); };
  var pct = function (v) { return v.toLocaleString("vi-VN", {maximumFractionDigits: 1}) + "%"; };

  /* targets/detail.html: the share meeting the target over time, its forecasts and the target. */
  function targetTrend(canvas, d) {
    var sets = [{label: "Thực tế", data: d.actual, borderColor: "#0d6efd", backgroundColor: "#0d6efd", pointRadius: 2, tension: 0}];
    if (d.pace.length) sets.push({label: "Dự báo theo tốc độ hiện tại", data: d.pace, borderColor: "#6c757d", borderDash: [6, 4], pointRadius: 0});
    if (d.cohorts.length) sets.push({label: "Kể cả lớp đã xếp", data: d.cohorts, borderColor: "#198754", stepped: "before", pointRadius: 2});
    sets.push({label: "Chỉ tiêu (" + pct(d.threshold_value) + ")", data: d.threshold, borderColor: "#dc3545", borderDash: [2, 2], pointRadius: 0});
    new Chart(canvas, {
      type: "line", data: {datasets: sets},
      options: {animation: false, maintainAspectRatio: false, parsing: true,
        scales: {x: {type: "linear", ticks: {callback: fmt, maxTicksLimit: 8}},
                 y: {min: 0, max: 100, ticks: {callback: pct}}},
        plugins: {tooltip: {callbacks: {title: function (items) { return fmt(items[0].parsed.x); },
                                        label: function (c) { return c.dataset.label + ": " + pct(c.parsed.y); }}}}}
    });
  }

  /* targets/detail.html: the share per unit. */
  function targetUnits(canvas, u) {
    new Chart(canvas, {
      type: "bar", data: {labels: u.labels, datasets: [{label: "Tỷ lệ đạt", data: u.values, backgroundColor: u.colours}]},
      options: {indexAxis: "y", animation: false, maintainAspectRatio: false,
        scales: {x: {min: 0, max: 100, ticks: {callback: pct}}},
        plugins: {legend: {display: false}, tooltip: {callbacks: {label: function (c) { return pct(c.parsed.x); }}}}}
    });
  }

  /* reports/composition.html: the share of young officials by year. */
  function youngTrend(canvas, rows) {
    new Chart(canvas, {
      type: "line",
      data: {labels: rows.map(function (r) { return r.year; }), datasets: [
        {label: "Lãnh đạo, quản lý trẻ (%)", data: rows.map(function (r) { return r.managers_share_young; })},
        {label: "Cán bộ trẻ (%)", data: rows.map(function (r) { return r.share_young; })}]},
      options: {scales: {y: {min: 0, max: 100}}}
    });
  }

  var charts = [["trend-chart", "trend-data", targetTrend], ["units-chart", "units-data", targetUnits],
                ["trend", "young-trend-data", youngTrend]];
  charts.forEach(function (c) {
    var canvas = document.getElementById(c[0]);
    var data = json(c[1]);
    if (!canvas || data === null) return;
    if (typeof Chart === "undefined") {
      if (c[0] === "trend") canvas.remove();  // the table below says it all
      return;
    }
    c[2](canvas, data);
  });
})();
