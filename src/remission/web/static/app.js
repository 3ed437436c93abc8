// remission web pages: the only script besides htmx (no inline scripts: the CSP forbids them).
"use strict";

(function () {
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every HTMX request carries the session's CSRF token in a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
    // Filter forms leave empty inputs out, so the address shows only the chosen filters.
    var elt = event.detail.elt;
    if (event.detail.verb === "get" && elt && elt.hasAttribute("data-drop-empty")) {
      var params = event.detail.parameters;
      Object.keys(params).forEach(function (name) {
        if (params[name] === "") {
          delete params[name];
        }
      });
    }
  });

  // A failed HTMX request (server error, network) says so instead of failing silently.
  function showError(message) {
    var box = document.getElementById("htmx-error");
    if (!box) {
      return;
    }
    box.textContent = message;
    box.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 401 || status === 403) {
      showError("Your session has ended or you may not do this: sign in again.");
    } else {
      showError("The server could not answer (status " + status + "). Nothing was changed.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    showError("The server cannot be reached. Nothing was changed.");
  });

  // Review page: choosing a value highlights its words in the report text, and back.
  function setActive(ids) {
    document.querySelectorAll("mark.active, li.active").forEach(function (el) {
      el.classList.remove("active");
    });
    ids.forEach(function (id, i) {
      var el = document.getElementById(id);
      if (el) {
        el.classList.add("active");
        if (i === 0) {
          el.scrollIntoView({ block: "nearest", behavior: "smooth" });
        }
      }
    });
  }
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var show = target.closest("[data-spans]");
    if (show) {
      var ids = show.getAttribute("data-spans").split(" ").filter(Boolean);
      var item = show.closest("li");
      setActive(ids);
      if (item) {
        item.classList.add("active");
      }
      return;
    }
    var mark = target.closest("mark[data-value]");
    if (mark) {
      setActive([mark.getAttribute("data-value"), mark.id]);
    }
  });

  // Version history: the two chosen versions fill the diff form.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.matches("input[data-submit-on-change]")) {
      if (target.form && typeof target.form.requestSubmit === "function") {
        target.form.requestSubmit();
      }
    }
  });
})();
