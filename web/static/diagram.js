/* Process diagrams: bpmn-js's NavigatedViewer (served from node_modules). `procflowDiagram.load` fetches a
   diagram's JSON, draws it and hands the viewer to the page's own drawing (the case position, a heatmap);
   on the case and task pages this file also marks where the case stands. */
(function () {
  "use strict";

  function message(container, text) {
    var p = document.createElement("p");
    p.className = "diagram__message";
    p.textContent = text;
    container.replaceChildren(p);
  }

  function load(container, url, draw) {
    var failText = container.getAttribute("data-error-text") || "The diagram could not be shown.";
    if (typeof window.BpmnJS !== "function") {
      message(container, failText);
      return;
    }
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        var viewer = new window.BpmnJS({container: container});
        return viewer.importXML(data.xml).then(function () {
          draw(viewer, data);
          container.setAttribute("data-ready", "true");
        });
      })
      .catch(function () { message(container, failText); });
  }

  function mark(viewer, ids, className) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    (ids || []).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, className); }
    });
  }

  window.procflowDiagram = {load: load};

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("case-diagram");
    if (!container) { return; }
    load(container, container.getAttribute("data-diagram-url"), function (viewer, data) {
      viewer.get("canvas").zoom("fit-viewport");
      mark(viewer, data.finished, "is-finished");
      mark(viewer, data.current, "is-current");
      if (data.failed) { mark(viewer, [data.failed], "is-failed"); }
    });
  });
})();
