/* The designers' pages with a diagram (bpmn-js NavigatedViewer from node_modules): a draft's lint results
   (clicking a problem selects its element), a version, the differences between two versions (added, removed,
   changed elements marked), and the coverage of a scenario run (reached elements and taken flows coloured).
   The page's data is a JSON block (#design-data); no inline script. */
(function () {
  "use strict";

  function data() {
    var block = document.getElementById("design-data");
    return block ? JSON.parse(block.textContent) : {};
  }

  function message(container, text) {
    var p = document.createElement("p");
    p.className = "diagram__message";
    p.textContent = text;
    container.replaceChildren(p);
  }

  function draw(container, xml) {
    if (typeof window.BpmnJS !== "function" || !xml) {
      message(container, container.getAttribute("data-error-text") || "The diagram could not be shown.");
      return Promise.reject(new Error("no viewer"));
    }
    var viewer = new window.BpmnJS({container: container});
    return viewer.importXML(xml).then(function () {
      viewer.get("canvas").zoom("fit-viewport");
      return viewer;
    }).catch(function (error) {
      message(container, container.getAttribute("data-error-text") || String(error));
      throw error;
    });
  }

  function mark(viewer, ids, className) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    (ids || []).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, className); }
    });
  }

  function ids(rows) { return (rows || []).map(function (row) { return row.id; }); }

  // Clicking a problem: the element gets a marker, comes into view, and the problem row is highlighted.
  function linkProblems(viewer) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var focused = null;
    document.querySelectorAll(".problem__link").forEach(function (button) {
      button.addEventListener("click", function () {
        var id = button.getAttribute("data-element-id");
        var element = registry.get(id);
        if (focused) { canvas.removeMarker(focused, "is-focused"); }
        document.querySelectorAll(".problem.is-focused").forEach(function (row) { row.classList.remove("is-focused"); });
        button.closest(".problem").classList.add("is-focused");
        if (!element) { return; }
        focused = id;
        canvas.addMarker(id, "is-focused");
        if (canvas.scrollToElement) { canvas.scrollToElement(element); }
        document.getElementById("design-diagram").setAttribute("data-focused", id);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var given = data();
    var single = document.getElementById("design-diagram");
    if (single) {
      var role = single.getAttribute("data-role");
      draw(single, given.xml).then(function (viewer) {
        if (role === "lint") {
          var file = given.file;
          (given.problems || []).forEach(function (p) {
            if (p.file === file && p.element_id) {
              mark(viewer, [p.element_id], p.severity === "error" ? "has-error" : "has-warning");
            }
          });
          linkProblems(viewer);
        } else if (role === "coverage") {
          mark(viewer, given.reached, "is-reached");
          mark(viewer, given.taken, "is-reached");
          mark(viewer, given.unreached, "is-unreached");
          mark(viewer, given.untaken, "is-unreached");
        }
        single.setAttribute("data-ready", "true");  // drawn and marked
      }).catch(function () { /* message shown */ });
    }
    var old = document.getElementById("diff-old");
    var fresh = document.getElementById("diff-new");
    if (old && fresh) {
      draw(old, given.old).then(function (viewer) {
        mark(viewer, ids(given.removed), "is-removed");
        mark(viewer, ids(given.changed), "is-changed");
        old.setAttribute("data-ready", "true");
      }).catch(function () { /* message shown */ });
      draw(fresh, given["new"]).then(function (viewer) {
        mark(viewer, ids(given.added), "is-added");
        mark(viewer, ids(given.changed), "is-changed");
        fresh.setAttribute("data-ready", "true");
      }).catch(function () { /* message shown */ });
    }
  });
})();
