/* The in-browser modeler: bpmn-js Modeler (node_modules) with procflow's attributes (a small moddle descriptor,
   procflow-moddle.json) edited in a panel of our own; every change is linted on the server after a short pause
   and the problems listed under the diagram (clicking one selects its element); "Save draft" stores the file in
   the draft, "Save and deploy" saves, then deploys the draft. The modeler is window.procflowModeler (tests). */
(function () {
  "use strict";

  var HUMAN = ["bpmn:UserTask", "bpmn:ManualTask"];
  var LINT_PAUSE = 500;

  var post = window.procflow.postJSON;  // app.js

  function status(text) { document.getElementById("modeler-status").textContent = text; }

  function start(config, descriptor) {
    var container = document.getElementById("modeler-canvas");
    var modeler = new window.BpmnJS({container: container, moddleExtensions: {procflow: descriptor}});
    window.procflowModeler = modeler;
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    var marked = [];
    var timer = null;
    var generation = 0;

    function xml() { return modeler.saveXML({format: true}).then(function (r) { return r.xml; }); }

    function showProblems(problems) {
      marked.forEach(function (m) { if (registry.get(m[0])) { canvas.removeMarker(m[0], m[1]); } });
      marked = [];
      var list = document.getElementById("problems");
      list.replaceChildren();
      problems.forEach(function (p) {
        var item = document.createElement("li");
        item.className = "problem problem--" + p.severity;
        item.setAttribute("data-element-id", p.element_id || "");
        var button = document.createElement(p.element_id ? "button" : "span");
        if (p.element_id) { button.type = "button"; button.className = "link-button problem__link"; }
        var where = document.createElement("span");
        where.className = "problem__where";
        where.textContent = p.file + ":" + p.line + ":" + p.column;
        var code = document.createElement("span");
        code.className = "tag problem__code";
        code.textContent = p.code;
        var text = document.createElement("span");
        text.className = "problem__message";
        text.textContent = (p.element_id ? p.element_id + ": " : "") + p.message;
        button.append(where, " ", code, " ", text);
        item.append(button);
        list.append(item);
        if (p.element_id && registry.get(p.element_id)) {
          var cls = p.severity === "error" ? "has-error" : "has-warning";
          canvas.addMarker(p.element_id, cls);
          marked.push([p.element_id, cls]);
          button.addEventListener("click", function () {
            var element = registry.get(p.element_id);
            if (!element) { return; }
            modeler.get("selection").select(element);
            if (canvas.scrollToElement) { canvas.scrollToElement(element); }
          });
        }
      });
      document.getElementById("problems-none").hidden = problems.length > 0;
      var errors = problems.filter(function (p) { return p.severity === "error"; }).length;
      var count = document.getElementById("lint-count");
      count.textContent = count.getAttribute("data-format").replace("{errors}", String(errors))
        .replace("{warnings}", String(problems.length - errors));
      container.setAttribute("data-lint-count", String(problems.length));
      container.setAttribute("data-lint-errors", String(errors));
    }

    function lint() {
      var mine = ++generation;
      container.setAttribute("data-linting", "true");
      return xml().then(function (text) {
        return post(config.lint_url, {name: config.file, xml: text, draft: config.draft});
      }).then(function (answer) {
        if (mine !== generation) { return; }
        showProblems(answer.json.problems || []);
        container.setAttribute("data-linting", "false");
        container.setAttribute("data-lint-generation", String(mine));
      });
    }

    function save() {
      status("…");
      return xml().then(function (text) {
        return post(config.save_url, {name: config.file, xml: text});
      }).then(function (answer) {
        status(answer.ok ? document.getElementById("modeler-save").getAttribute("data-saved") || "✓" : "✗");
        showProblems(answer.json.problems || []);
        return answer.ok;
      });
    }

    // -- the properties panel ---------------------------------------------------------------------------
    var form = document.getElementById("properties-form");
    var current = null;

    function kindOf(element) {
      var bo = element.businessObject;
      if (HUMAN.some(function (t) { return bo.$instanceOf(t); })) { return "human"; }
      if (bo.$instanceOf("bpmn:StartEvent")) { return "start"; }
      if (bo.$instanceOf("bpmn:Lane")) { return "lane"; }
      return "other";
    }

    function showPanel(element) {
      current = element;
      document.getElementById("properties-none").hidden = !!element;
      form.hidden = !element;
      if (!element) { return; }
      var bo = element.businessObject;
      var kind = kindOf(element);
      document.getElementById("prop-element-id").textContent = bo.id;
      document.getElementById("prop-element-type").textContent = bo.$type;
      form.querySelectorAll("[data-for]").forEach(function (field) {
        var wanted = field.getAttribute("data-for").split(" ");
        field.hidden = !(wanted.indexOf("all") >= 0 || wanted.indexOf(kind) >= 0);
      });
      form.querySelectorAll("input[data-prop]").forEach(function (input) {
        var value = bo.get(input.getAttribute("data-prop"));
        input.value = value === undefined || value === null ? "" : value;
      });
    }

    form.addEventListener("change", function (event) {
      var input = event.target;
      if (!current || !input.getAttribute("data-prop")) { return; }
      var change = {};
      change[input.getAttribute("data-prop")] = input.value.trim() === "" ? undefined : input.value.trim();
      modeler.get("modeling").updateProperties(current, change);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });

    modeler.on("selection.changed", function (event) {
      var chosen = event.newSelection.length === 1 ? event.newSelection[0] : null;
      showPanel(chosen && chosen.type !== "label" ? chosen : null);
    });
    modeler.on("commandStack.changed", function () {
      clearTimeout(timer);
      timer = setTimeout(lint, LINT_PAUSE);
      if (current) { showPanel(registry.get(current.id) || null); }
    });

    document.getElementById("modeler-save").addEventListener("click", function () { save(); });
    document.getElementById("modeler-deploy-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var deployForm = event.target;
      save().then(function (ok) { if (ok) { deployForm.submit(); } });
    });

    modeler.importXML(config.xml).then(function () {
      canvas.zoom("fit-viewport");
      container.setAttribute("data-ready", "true");
      return lint();
    }).catch(function (error) {
      container.setAttribute("data-ready", "error");
      status(container.getAttribute("data-error-text") + " " + error.message);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var config = JSON.parse(document.getElementById("design-data").textContent);
    var container = document.getElementById("modeler-canvas");
    if (typeof window.BpmnJS !== "function") {
      container.textContent = container.getAttribute("data-error-text");
      return;
    }
    var descriptorUrl = document.querySelector('script[src*="modeler.js"]').src.replace(/modeler\.js.*$/, "procflow-moddle.json");
    fetch(descriptorUrl, {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (descriptor) { start(config, descriptor); });
  });
})();
