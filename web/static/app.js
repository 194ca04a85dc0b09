/* procflow: the little script every page needs (no inline scripts anywhere: the CSP forbids them). */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // POST a JSON body with the CSRF token; resolves to {ok, json} (the designers' editors use it).
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) { return {ok: response.ok, json: json}; });
    });
  }

  // For the page scripts loaded after this one (deferred scripts run in document order).
  window.procflow = {csrfToken: csrfToken, postJSON: postJSON};

  // htmx requests carry the CSRF token in a header (Flask-WTF reads X-CSRFToken).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // A failed htmx request shows the server's message instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("htmx-error");
    if (!box) { return; }
    // DOMParser gives an inert document: nothing in the response runs or loads.
    var parsed = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
    var found = parsed.querySelector("#error-page");
    box.textContent = found ? found.textContent.trim() : event.detail.xhr.status + " " + event.detail.xhr.statusText;
    box.hidden = false;
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("htmx-error");
    if (box) { box.hidden = true; }
  });

  // Forms that take a while to answer: prevent a double submission.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-get") || form.hasAttribute("hx-post")) { return; }
    if (!event.defaultPrevented) { form.setAttribute("data-submitted", ""); }
    var button = form.querySelector('button[type="submit"]:not([name])');
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });

  // A submitted form's own htmx requests (the task form's draft autosave) have nothing left to do: the submission
  // may complete the task before a delayed save reaches the server, which then answers 404 for a task that is
  // gone. A save not yet sent is dropped; the answer to one already sent is left unshown.
  function inSubmittedForm(element) {
    var form = element && element.closest ? element.closest("form") : null;
    return form !== null && form.hasAttribute("data-submitted");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (inSubmittedForm(event.detail.elt)) { event.preventDefault(); }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (inSubmittedForm(event.detail.elt)) { event.preventDefault(); }
  });
  // A page shown again from the back-forward cache is editable again: its autosave too.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      form.removeAttribute("data-submitted");
    });
  });
})();
