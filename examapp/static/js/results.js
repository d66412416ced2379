// Charts of the results page (examapp/results): unit averages with the pass line, and a histogram.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }

  function dataOf(id) {
    var canvas = document.getElementById(id);
    if (!canvas) { return null; }
    try { return { canvas: canvas, data: JSON.parse(canvas.getAttribute("data-chart")) }; }
    catch (e) { return null; }
  }

  // Draws the threshold as a horizontal line across the bar chart.
  var thresholdLine = {
    id: "thresholdLine",
    afterDatasetsDraw: function (chart, args, options) {
      if (options.value === undefined) { return; }
      var y = chart.scales.y.getPixelForValue(options.value);
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#dc3545";
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(chart.chartArea.left, y);
      ctx.lineTo(chart.chartArea.right, y);
      ctx.stroke();
      ctx.fillStyle = "#dc3545";
      ctx.fillText(options.label, chart.chartArea.left + 4, y - 4);
      ctx.restore();
    }
  };

  var units = dataOf("unit-chart");
  if (units) {
    var d = units.data;
    new window.Chart(units.canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [{
          label: "单位平均分",
          data: d.averages,
          backgroundColor: d.passed.map(function (ok) { return ok ? "#198754" : "#dc3545"; })
        }]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        // The axis starts at 0, so a bar's height is its score: a unit at 48 is about half the height of one at 96.
        scales: { y: { min: 0, max: 100 }, x: { ticks: { autoSkip: true } } },
        plugins: { legend: { display: false }, thresholdLine: { value: d.threshold, label: "合格线 " + d.threshold } }
      },
      plugins: [thresholdLine]
    });
  }

  var hist = dataOf("histogram-chart");
  if (hist) {
    new window.Chart(hist.canvas, {
      type: "bar",
      data: {
        labels: hist.data.map(function (b) { return b.label; }),
        datasets: [{ label: "人数", data: hist.data.map(function (b) { return b.count; }), backgroundColor: "#0d6efd" }]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } }
      }
    });
  }
})();
