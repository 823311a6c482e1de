// Draws each chart from the table the page carries (#chart-data), and saves it as PNG
// with ECharts' own export. The same tables are the page's HTML tables and its CSVs.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var percent = function (value) { return value === null ? null : Math.round(value * 1000) / 10; };
  var column = function (table, index) { return table.rows.map(function (row) { return row[index]; }); };
  var category = function (names) { return { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } }; };
  var base = { animation: false, tooltip: {}, grid: { left: 60, right: 30, top: 40, bottom: 70 } };

  var options = {
    cohorts: function (table) {
      var offsets = table.columns.slice(2);
      var cells = [];
      table.rows.forEach(function (row, y) {
        offsets.forEach(function (_, x) {
          var value = row[x + 2];
          if (value !== null && value !== undefined) { cells.push([x, y, percent(value)]); }
        });
      });
      return Object.assign({}, base, {
        grid: { left: 110, right: 30, top: 20, bottom: 90 },
        xAxis: category(offsets),
        yAxis: { type: "category", inverse: true, data: table.rows.map(function (row) { return row[0] + " (" + row[1] + ")"; }) },
        visualMap: { min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 0, text: ["100%", "0%"] },
        series: [{ name: "retained %", type: "heatmap", data: cells, label: { show: true } }]
      });
    },
    nps: function (table) {
      var scaled = function (index) { return column(table, index).map(function (value) { return value === null ? "-" : Math.round(value * 100); }); };
      return Object.assign({}, base, {
        tooltip: { trigger: "axis" },
        legend: { data: ["NPS", "low 95%", "high 95%"] },
        xAxis: category(column(table, 0)),
        yAxis: { type: "value", min: -100, max: 100 },
        series: [
          { name: "NPS", type: "line", data: scaled(1), connectNulls: false },
          { name: "low 95%", type: "line", data: scaled(2), lineStyle: { type: "dashed" }, symbol: "none" },
          { name: "high 95%", type: "line", data: scaled(3), lineStyle: { type: "dashed" }, symbol: "none" }
        ]
      });
    },
    funnel: function (table) {
      var lessons = table.rows.map(function (row) { return row[0] + " / " + row[1]; });
      return Object.assign({}, base, {
        tooltip: { trigger: "axis" },
        legend: { data: ["reached", "completed"] },
        xAxis: category(lessons),
        yAxis: { type: "value", name: "learners" },
        series: [
          { name: "reached", type: "bar", data: column(table, 2) },
          { name: "completed", type: "bar", data: column(table, 3) }
        ]
      });
    },
    deflection: function (table) {
      return Object.assign({}, base, {
        xAxis: category(column(table, 0)),
        yAxis: { type: "value", name: "questions" },
        series: [{ name: "questions", type: "bar", data: column(table, 1), label: { show: true, position: "top" } }]
      });
    },
    lift: function (table) {
      var arms = table.rows.filter(function (row) { return row[5] !== null; });
      return Object.assign({}, base, {
        tooltip: { trigger: "axis" },
        legend: { data: ["lift (points)", "95% interval"] },
        xAxis: category(arms.map(function (row) { return row[0] + ": " + row[1]; })),
        yAxis: { type: "value", name: "points" },
        series: [
          { name: "95% interval", type: "candlestick", barMaxWidth: 24,
            itemStyle: { color: "#b7c7ee", color0: "#b7c7ee", borderColor: "#3456b0", borderColor0: "#3456b0" },
            data: arms.map(function (row) { var low = percent(row[6]), high = percent(row[7]); return [low, high, low, high]; }) },
          { name: "lift (points)", type: "scatter", symbolSize: 12, data: arms.map(function (row) { return percent(row[5]); }) }
        ]
      });
    }
  };

  var charts = {};
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var key = element.getAttribute("data-chart");
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(options[key](data[key]));
    charts[key] = chart;
  });
  window.addEventListener("resize", function () { Object.values(charts).forEach(function (chart) { chart.resize(); }); });

  document.querySelectorAll("[data-png]").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-png");
      var link = document.createElement("a");
      link.href = charts[key].getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      link.download = "lessonloop-" + key + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });
})();
