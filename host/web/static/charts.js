// Management charts (echarts, served by the host): trends by month and window, weekday x hour heat map.
(function () {
  "use strict";
  var status = document.getElementById("chart-status");
  var month = document.getElementById("sat").dataset.month;
  function lines(el, months, series, unit, max) {
    var chart = echarts.init(el);
    var names = Object.keys(series);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0, data: names },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", name: unit, max: max, min: 0 },
      series: names.map(function (n) { return { name: n, type: "line", connectNulls: false, data: series[n] }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function heat(el, cells, hours, weekdays) {
    var chart = echarts.init(el);
    var maxCount = cells.reduce(function (m, c) { return Math.max(m, c[2]); }, 1);
    chart.setOption({
      animation: false,
      tooltip: { formatter: function (p) { return weekdays[p.value[1]] + " " + hours[p.value[0]] + "：评价 " + p.value[2] + " 次，满意率 " + p.value[3] + "%"; } },
      grid: { left: 56, right: 16, top: 16, bottom: 96 },
      xAxis: { type: "category", data: hours, splitArea: { show: true } },
      yAxis: { type: "category", data: weekdays, splitArea: { show: true } },
      visualMap: { min: 0, max: maxCount, dimension: 2, calculable: true, orient: "horizontal", left: "center", bottom: 0, text: ["多", "少"] },
      series: [{ name: "评价次数", type: "heatmap", data: cells, label: { show: true, formatter: function (p) { return p.value[2]; } } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  fetch("/management/charts/data?month=" + encodeURIComponent(month), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(function (d) {
      lines(document.getElementById("sat"), d.trend.months, d.trend.satisfaction, "满意率 %", 100);
      lines(document.getElementById("score"), d.trend.months, d.trend.score, "得分", 5);
      heat(document.getElementById("heat"), d.heatmap.cells, d.heatmap.hours, d.heatmap.weekdays);
      status.textContent = (d.evaluations ? "共 " + d.evaluations + " 次评价。" : "尚无评价数据：图表为空。")
        + (d.heatmap.outside ? "时段分布只画工作日 8–18 时；其余时间的 " + d.heatmap.outside + " 次评价未画出。" : "");
      document.body.dataset.charts = "ready";
    })
    .catch(function (e) { status.textContent = "图表加载失败：" + e.message; });
})();
