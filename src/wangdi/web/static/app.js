/* wangdi 网底 — charts from the JSON embedded in each page (no inline scripts; ECharts is vendored). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () {
      var run = document.getElementById("run-select");  // another plan has other runs: show its newest
      if (el.id === "pack-select" && run) { run.disabled = true; }
      el.form.submit();
    });
  });
  var holder = document.getElementById("page-data");
  if (!holder || !window.echarts) { return; }
  var data = JSON.parse(holder.textContent);
  var charts = [];
  var DAY = 86400000;
  function chart(el, option) { var c = window.echarts.init(el); c.setOption(option); charts.push(c); return c; }
  function resizeAll() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resizeAll);
  window.addEventListener("beforeprint", resizeAll);  // charts fit the printed page
  window.addEventListener("afterprint", resizeAll);

  (data.targets || []).forEach(function (t, i) {
    var el = document.querySelector('.target-chart[data-index="' + i + '"]');
    if (!el) { return; }
    var hist = t.history.filter(function (p) { return p.value !== null; }).map(function (p) { return [p.as_of, p.value]; });
    var ms = t.milestones.filter(function (m) { return m.value !== null; });
    var series = [{ name: "实际", type: "line", data: hist, symbolSize: 8 },
      { name: "节点要求", type: "scatter", symbol: "diamond", symbolSize: 14,
        data: ms.map(function (m) { return [m.by, m.value]; }),
        label: { show: true, position: "top", formatter: function (p) { return (ms[p.dataIndex].bound === "max" ? "≤" : "≥") + p.value[1]; } } }];
    if (t.projection) {
      series.push({ name: "按趋势推算", type: "line", lineStyle: { type: "dashed" },
        data: [[t.projection.from, t.projection.from_value], [t.projection.to, t.projection.value]] });
    }
    chart(el, { tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 50, right: 20, top: 30, bottom: 50 },
      xAxis: { type: "time", min: function (v) { return v.min - 200 * DAY; }, max: function (v) { return v.max + 200 * DAY; } },
      yAxis: { type: "value", name: t.unit || "", scale: false }, series: series });
    if (hist.length < 2) {
      var note = document.createElement("p"); note.className = "muted";
      note.textContent = "推算需要至少两个不同截至日期的评估批次。";
      el.parentNode.insertBefore(note, el.nextSibling);
    }
  });

  var hm = document.getElementById("heatmap");
  if (hm && data.heatmap_option) {
    // the option (data, colour dimension = pass rate) comes from the server (web/charts.py); only words are added here
    var rows = data.heatmap.rows, groups = data.heatmap.groups, opt = data.heatmap_option;
    opt.tooltip.formatter = function (p) {
      return rows[p.value[1]].name + " · " + groups[p.value[0]].name + "<br>达标率 " + p.value[2] + "%（共 " + p.value[3] + " 条结论）";
    };
    opt.series[0].label.formatter = function (p) { return p.value[2] + "%"; };
    var hc = chart(hm, opt);
    hc.on("click", function (p) { window.location.href = "/regions/" + rows[p.value[1]].code + "?pack=" + encodeURIComponent(data.pack); });
  }

  var tr = document.getElementById("trend");
  if (tr && data.trend_option) { chart(tr, data.trend_option); }
})();
