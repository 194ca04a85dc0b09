/* The bottleneck heatmap: the diagram loaded by web/static/diagram.js (procflowDiagram.load), with each step marked by its colour step (heat-0 .. heat-5) and a badge with its value.
   The server picks the steps, values and legend (web/manage/charts.py); this only draws them. */
(function () {
  "use strict";

  function badge(step) {
    var el = document.createElement("span");
    el.className = "heat-badge heat-badge--" + step.level;
    el.textContent = step.display;
    el.title = step.title;
    return el;
  }

  function colour(viewer, steps) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var seen = {};
    steps.forEach(function (step) {
      if (!registry.get(step.id)) { return; }
      seen[step.id] = true;
      canvas.addMarker(step.id, "heat-" + step.level);
      overlays.add(step.id, "heat", {position: {bottom: 10, right: 10}, html: badge(step)});
    });
    // Steps without a completed or open task in the period: marked as such, not left looking "cool".
    registry.filter(function (element) {
      return element.type === "bpmn:UserTask" && !seen[element.id];
    }).forEach(function (element) { canvas.addMarker(element.id, "heat-0"); });
    return Object.keys(seen).length;
  }

  function legend(list, entries) {
    if (!list) { return; }
    list.replaceChildren.apply(list, entries.map(function (entry) {
      var item = document.createElement("li");
      item.className = "heat-legend__item heat-legend__item--" + entry.level;
      item.textContent = entry.label;
      return item;
    }));
  }

  // A wide procedure fitted to the page's width leaves most of a fixed-height box empty: size the box to the
  // diagram's proportions (within bounds), then fit the diagram into it.
  function fitHeight(container, canvas) {
    var inner = canvas.viewbox().inner;
    if (inner.width > 0) {
      var wanted = Math.round(container.clientWidth * inner.height / inner.width) + 48;
      container.style.height = Math.max(280, Math.min(720, wanted)) + "px";
      canvas.resized();
    }
    canvas.zoom("fit-viewport");
  }

  function show(container) {
    window.procflowDiagram.load(container, container.getAttribute("data-heatmap-url"), function (viewer, data) {
      fitHeight(container, viewer.get("canvas"));
      container.setAttribute("data-coloured", String(colour(viewer, data.steps)));
      legend(document.getElementById("heatmap-legend"), data.legend);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("heatmap");
    if (container) { show(container); }
  });
})();
