// The overview's charts: each <figure class="chart"> holds a <canvas> and a JSON data block
// ({kind, labels, series: [{label, values}]}) written by the server; this draws it with the
// vendored Chart.js. The same numbers are in the table under each chart, so nothing is
// lost without JavaScript or when printing.
(function () {
  "use strict";

  var COLOURS = ["#1d4f91", "#9e1b1b", "#00703c", "#8a6d00"];

  function fontFamily() {
    return window.getComputedStyle(document.documentElement).fontFamily ||
      '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif';
  }

  // each bar's number at its end, so a bar too short to see still reads (0, 2, 10 beside
  // 27,000); the same numbers are in the table
  var valueLabels = {
    id: "valueLabels",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var horizontal = chart.options.indexAxis === "y";
      ctx.save();
      ctx.font = "12px " + window.Chart.defaults.font.family;
      ctx.fillStyle = "#0b0c0c";
      ctx.textAlign = horizontal ? "left" : "center";
      ctx.textBaseline = horizontal ? "middle" : "bottom";
      chart.data.datasets.forEach(function (dataset, i) {
        chart.getDatasetMeta(i).data.forEach(function (bar, j) {
          var text = Number(dataset.data[j]).toLocaleString("zh-CN");
          if (horizontal) { ctx.fillText(text, bar.x + 4, bar.y); }
          else { ctx.fillText(text, bar.x, bar.y - 3); }
        });
      });
      ctx.restore();
    }
  };

  function draw(figure) {
    var block = figure.querySelector("script.chart__data");
    var canvas = figure.querySelector("canvas");
    if (!block || !canvas) { return; }
    var data = JSON.parse(block.textContent);
    var horizontal = data.kind === "bar-horizontal";
    if (horizontal) {  // a bar per label: the frame grows with the labels
      canvas.parentNode.style.height = (data.labels.length * data.series.length * 16 +
        data.labels.length * 14 + 70) + "px";
    }
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return { label: s.label, data: s.values, backgroundColor: COLOURS[i % COLOURS.length],
                   borderWidth: 0 };
        })
      },
      plugins: [valueLabels],
      options: {
        layout: { padding: { right: horizontal ? 48 : 0, top: horizontal ? 0 : 18 } },
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: data.series.length > 1, position: "top" },
          tooltip: { enabled: true }
        },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0, autoSkip: false } }
        }
      }
    });
    figure.setAttribute("data-drawn", String(chart.data.labels.length));
  }

  function drawAll() {
    if (!window.Chart) { return; }  // the table below each chart still has the numbers
    window.Chart.defaults.font.family = fontFamily();
    window.Chart.defaults.font.size = 13;
    window.Chart.defaults.color = "#0b0c0c";
    Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
}());
