// PNG export of the dashboard's charts, drawn in the browser from the same SVG the page shows
// (and the SVG download serves): nothing is computed again here, and nothing is fetched.
"use strict";

(function () {
  var SCALE = 2; // twice the chart's size, for a sharp picture

  function pngOf(svg, done) {
    var box = svg.viewBox.baseVal;
    var text = new XMLSerializer().serializeToString(svg);
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = box.width * SCALE;
      canvas.height = box.height * SCALE;
      var context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(done, "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  }

  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  function addButton(figure, label) {
    var svg = figure.querySelector("svg.chart");
    if (!svg) { return; }
    var name = (svg.dataset.chart || "chart") + (svg.dataset.kind ? "-" + svg.dataset.kind : "");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "png";
    button.textContent = label;
    button.addEventListener("click", function () {
      pngOf(svg, function (blob) { save(blob, name + ".png"); });
    });
    var caption = figure.querySelector("figcaption") || figure.appendChild(
      document.createElement("figcaption"));
    caption.appendChild(document.createTextNode(" "));
    caption.appendChild(button);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var label = document.body.dataset.pngLabel || "PNG";
    document.querySelectorAll("figure").forEach(function (f) { addButton(f, label); });
  });
})();
