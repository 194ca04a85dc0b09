/* The draft's other files in the browser: DMN in dmn-js's Modeler (window.DmnJS), forms in form-js's editor
   (window.FormEditor), both from node_modules. "Save draft" sends the file to the draft and shows what the
   server's lint (DMN) or form check says. The editor is window.procflowEditor (tests). */
(function () {
  "use strict";

  var post = window.procflow.postJSON;  // app.js

  function showProblems(container, problems) {
    var list = document.getElementById("problems");
    list.replaceChildren();
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.className = "problem problem--" + p.severity;
      item.textContent = p.file + ":" + p.line + ":" + p.column + " " + p.code + " " +
        (p.element_id ? p.element_id + ": " : "") + p.message;
      list.append(item);
    });
    document.getElementById("problems-pending").hidden = true;
    document.getElementById("problems-none").hidden = problems.length > 0;
    container.setAttribute("data-lint-count", String(problems.length));
  }

  function dmn(container, config) {
    var modeler = new window.DmnJS({container: container});
    return modeler.importXML(config.text).then(function () {
      return {
        editor: modeler,
        text: function () { return modeler.saveXML({format: true}).then(function (r) { return r.xml; }); }
      };
    });
  }

  function form(container, config) {
    var schema = JSON.parse(config.text);
    return window.FormEditor.createFormEditor({container: container, schema: schema}).then(function (editor) {
      return {
        editor: editor,
        text: function () { return Promise.resolve(JSON.stringify(editor.getSchema(), null, 2)); }
      };
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var config = JSON.parse(document.getElementById("design-data").textContent);
    var container = document.getElementById("modeler-canvas");
    var status = document.getElementById("modeler-status");
    var start = config.kind === "dmn" ? (window.DmnJS && dmn) : (window.FormEditor && form);
    if (!start) {
      container.textContent = container.getAttribute("data-error-text");
      return;
    }
    start(container, config).then(function (opened) {
      window.procflowEditor = opened.editor;
      container.setAttribute("data-ready", "true");
      document.getElementById("modeler-save").addEventListener("click", function () {
        status.textContent = "…";
        opened.text().then(function (text) {
          return post(config.save_url, {name: config.file, xml: text});
        }).then(function (answer) {
          status.textContent = answer.ok ? document.getElementById("modeler-save").getAttribute("data-saved") : "✗";
          container.setAttribute("data-saved", answer.ok ? "true" : "false");
          showProblems(container, answer.json.problems || []);
        });
      });
    }).catch(function (error) {
      container.setAttribute("data-ready", "error");
      status.textContent = container.getAttribute("data-error-text") + " " + error.message;
    });
  });
})();
