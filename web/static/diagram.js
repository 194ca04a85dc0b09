/* The case diagram: bpmn-js's NavigatedViewer (served from node_modules) with the case's position marked. */
(function () {
  "use strict";

  function message(container, text) {
    var p = document.createElement("p");
    p.className = "diagram__message";
    p.textContent = text;
    container.replaceChildren(p);
  }

  function mark(viewer, ids, className) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    (ids || []).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, className); }
    });
  }

  function show(container) {
    var failText = container.getAttribute("data-error-text") || "The diagram could not be shown.";
    if (typeof window.BpmnJS !== "function") {
      message(container, failText);
      return;
    }
    fetch(container.getAttribute("data-diagram-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        var viewer = new window.BpmnJS({container: container});
        return viewer.importXML(data.xml).then(function () {
          viewer.get("canvas").zoom("fit-viewport");
          mark(viewer, data.finished, "is-finished");
          mark(viewer, data.current, "is-current");
          if (data.failed) { mark(viewer, [data.failed], "is-failed"); }
          container.setAttribute("data-ready", "true");
        });
      })
      .catch(function () { message(container, failText); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("case-diagram");
    if (container) { show(container); }
  });
})();
