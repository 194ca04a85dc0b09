/* Managers' charts: plain SVG drawn from the JSON the server prepares (labels and numbers already formatted).
   A chart is any element with data-chart-url; the JSON says {kind: "columns"|"bars", max, points, empty}, each
   point {label, value, display, title, tone}. No library, no inline script (CSP). */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";

  function node(name, attrs, parent) {
    var el = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { el.setAttribute(key, String(attrs[key])); });
    if (parent) { parent.appendChild(el); }
    return el;
  }

  function text(parent, x, y, content, className, anchor) {
    var el = node("text", {x: x, y: y, "class": className, "text-anchor": anchor || "middle"}, parent);
    el.textContent = content;
    return el;
  }

  function titled(el, content) {
    node("title", {}, el).textContent = content;
    return el;
  }

  function message(container, content) {
    var p = document.createElement("p");
    p.className = "chart__message";
    p.textContent = content;
    container.replaceChildren(p);
  }

  // Round numbers for the value axis: 0, then a step of 1, 2 or 5 times a power of ten.
  function ticks(max) {
    if (max <= 0) { return [0, 1]; }
    var raw = max / 4, power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; }).find(function (s) { return s >= raw; });
    step = Math.max(1, step);
    var found = [];
    for (var v = 0; v < max + step; v += step) { found.push(v); }
    return found;
  }

  function columns(container, data) {
    var width = 640, height = 260, left = 40, right = 10, top = 16, bottom = 34;
    var svg = node("svg", {viewBox: "0 0 " + width + " " + height, "class": "chart__svg", focusable: "false"});
    var scale = ticks(data.max), top_value = scale[scale.length - 1];
    var plotH = height - top - bottom, plotW = width - left - right;
    var y = function (v) { return top + plotH - (v / top_value) * plotH; };
    scale.forEach(function (v) {
      node("line", {x1: left, x2: width - right, y1: y(v), y2: y(v), "class": "chart__grid"}, svg);
      text(svg, left - 6, y(v) + 4, String(v), "chart__axis", "end");
    });
    var slot = plotW / data.points.length, every = Math.ceil(data.points.length / 13);
    data.points.forEach(function (p, i) {
      var x = left + i * slot, barW = Math.max(4, slot * 0.64), h = y(0) - y(p.value);
      var bar = node("rect", {x: x + (slot - barW) / 2, y: y(p.value), width: barW, height: Math.max(h, 0),
                              "class": "chart__bar chart__bar--" + p.tone, rx: 2}, svg);
      titled(bar, p.title);
      if (p.value > 0) { text(svg, x + slot / 2, y(p.value) - 4, p.display, "chart__value"); }
      if (i % every === 0) { text(svg, x + slot / 2, height - bottom + 18, p.label, "chart__axis"); }
    });
    return svg;
  }

  function bars(container, data) {
    // Few bars get thicker rows, so that the chart fills about the height of its neighbour.
    var width = 640, row = Math.max(30, Math.min(44, 200 / data.points.length)), top = 8, labelW = 210;
    var right = 56, bottom = 22;
    var height = top + data.points.length * row + bottom;
    var svg = node("svg", {viewBox: "0 0 " + width + " " + height, "class": "chart__svg", focusable: "false"});
    var plotW = width - labelW - right, max = data.max || 1;
    [0, 0.5, 1].forEach(function (f) {
      var x = labelW + f * plotW;
      node("line", {x1: x, x2: x, y1: top, y2: height - bottom, "class": "chart__grid"}, svg);
      text(svg, x, height - 6, Math.round(f * max * 100) + "%", "chart__axis");
    });
    data.points.forEach(function (p, i) {
      var yTop = top + i * row, label = p.label.length > 30 ? p.label.slice(0, 29) + "…" : p.label;
      titled(text(svg, labelW - 8, yTop + row / 2 + 4, label, "chart__label", "end"), p.label);
      var bar = node("rect", {x: labelW, y: yTop + 6, width: Math.max(1, (p.value / max) * plotW), height: row - 12,
                              "class": "chart__bar chart__bar--" + p.tone, rx: 2}, svg);
      titled(bar, p.title);
      text(svg, labelW + (p.value / max) * plotW + 6, yTop + row / 2 + 4, p.display, "chart__value", "start");
    });
    return svg;
  }

  var KINDS = {columns: columns, bars: bars};

  function draw(container) {
    var failText = container.getAttribute("data-error-text") || "The chart could not be drawn.";
    fetch(container.getAttribute("data-chart-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        var kind = KINDS[data.kind];
        if (!kind) { throw new Error("unknown chart " + data.kind); }
        if (!data.points.length) {
          message(container, data.empty);
        } else {
          container.replaceChildren(kind(container, data));
        }
        container.setAttribute("data-ready", "true");
      })
      .catch(function () { message(container, failText); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart-url]").forEach(draw);
  });
})();
