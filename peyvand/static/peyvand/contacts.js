// Peyvand — behaviour of the contacts and companies screens; a file because the CSP forbids inline script.
(function () {
  "use strict";

  // Tag badges take their colour from data-color (set through the CSSOM, which the CSP allows), with
  // black or white text, whichever reads better on it.
  function paintTags(root) {
    (root || document).querySelectorAll(".pv-tag[data-color]").forEach(function (badge) {
      var color = badge.getAttribute("data-color") || "";
      if (!/^#[0-9a-f]{6}$/i.test(color)) return;
      var r = parseInt(color.slice(1, 3), 16), g = parseInt(color.slice(3, 5), 16), b = parseInt(color.slice(5, 7), 16);
      badge.style.setProperty("background-color", color);
      badge.style.setProperty("color", (r * 299 + g * 587 + b * 114) / 1000 > 150 ? "#000" : "#fff");
    });
  }

  // Forms with data-clean-query leave empty inputs out of the URL, so a list link shows only its filters
  // (inputs marked data-keep stay: with a saved view open, an empty `tag=` clears the view's tag filter).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-clean-query]")) {
      form.querySelectorAll("input:not([data-keep]), select").forEach(function (input) {
        var empty = input.type === "checkbox" ? !input.checked
          : input.multiple ? input.selectedOptions.length === 0 : input.value === "";
        if (empty && input.name) input.disabled = true;
      });
      window.setTimeout(function () {
        form.querySelectorAll("[disabled]").forEach(function (input) { input.disabled = false; });
      }, 0);
    }
    // The column chooser sends the chosen columns in their order as one parameter: columns=email,phone.
    if (form.matches("form[data-column-chooser]")) {
      var keys = [];
      form.querySelectorAll("input[type=checkbox][name=columns]").forEach(function (box) {
        if (box.checked) keys.push(box.value);
        box.disabled = true;
      });
      form.querySelector("input[type=hidden][name=columns]").value = keys.join(",");
      window.setTimeout(function () {
        form.querySelectorAll("input[type=checkbox][name=columns]").forEach(function (box) { box.disabled = false; });
      }, 0);
    }
    // Bulk actions: deleting asks first.
    if (form.matches("form[data-bulk]")) {
      var action = form.querySelector("[data-bulk-action]");
      if (action && action.value === "delete" && !window.confirm(form.getAttribute("data-confirm-delete"))) {
        event.preventDefault();
      }
    }
  });

  document.addEventListener("click", function (event) {
    // "Add another" e-mail, phone, address or option: a copy of the row template with the next index.
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var box = add.closest("[data-rows]");
      var list = box.querySelector("[data-rows-list]");
      var template = box.querySelector("template[data-row-template]");
      var next = 0;
      list.querySelectorAll("[name]").forEach(function (input) {
        var match = /-(\d+)-/.exec(input.name);
        if (match) next = Math.max(next, parseInt(match[1], 10) + 1);
      });
      list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__i__/g, String(next)));
      var rows = list.querySelectorAll("[data-row]");
      var first = rows[rows.length - 1].querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
      return;
    }
    // Column chooser: move a column up or down.
    var move = event.target.closest("[data-move]");
    if (move) {
      var item = move.closest("li");
      if (move.getAttribute("data-move") === "up" && item.previousElementSibling) {
        item.parentNode.insertBefore(item, item.previousElementSibling);
      } else if (move.getAttribute("data-move") === "down" && item.nextElementSibling) {
        item.parentNode.insertBefore(item.nextElementSibling, item);
      }
      move.focus();
      return;
    }
    // Clicking outside the top bar's search closes its results.
    var results = document.getElementById("pv-search-results");
    if (results && !event.target.closest(".pv-search")) results.replaceChildren();
  });

  // Bulk selection: "select all on this page", the count of selected rows, the inputs of the chosen action.
  function bulkState() {
    var boxes = document.querySelectorAll("input[data-row-check]");
    var checked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
    var all = document.querySelector("input[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var counter = document.querySelector("[data-selected-count]");
    if (counter) counter.textContent = checked ? counter.getAttribute("data-template").replace("%(count)s", checked) : "";
  }
  function bulkAction() {
    var select = document.querySelector("[data-bulk-action]");
    if (!select) return;
    document.querySelectorAll("[data-bulk-for]").forEach(function (part) {
      part.classList.toggle("d-none", part.getAttribute("data-bulk-for") !== select.value);
    });
  }
  // Custom field form: the options are for choice fields only.
  function optionsState() {
    var type = document.querySelector("select[data-toggle-options]");
    var options = document.querySelector("[data-options-for]");
    if (!type || !options) return;
    var kinds = options.getAttribute("data-options-for").split(" ");
    options.classList.toggle("d-none", kinds.indexOf(type.value) < 0);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[data-select-all]")) {
      document.querySelectorAll("input[data-row-check]").forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches("input[data-row-check], input[data-select-all]")) bulkState();
    if (target.matches("[data-bulk-action]")) bulkAction();
    if (target.matches("select[data-toggle-options]")) optionsState();
  });

  // Tag inputs ("VIP, North, …"): the suggestions complete the tag being typed after the last comma.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches("input[data-tag-input][list]")) return;
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    if (!list.pvNames) {
      list.pvNames = Array.prototype.map.call(list.options, function (option) { return option.value; });
    }
    var cut = Math.max(input.value.lastIndexOf(","), input.value.lastIndexOf("،"));
    var prefix = cut >= 0 ? input.value.slice(0, cut + 1) + " " : "";
    var used = input.value.split(/[,،]/).map(function (part) { return part.trim(); });
    list.replaceChildren.apply(list, list.pvNames.filter(function (name) {
      return used.indexOf(name) < 0;
    }).map(function (name) {
      var option = document.createElement("option");
      option.value = prefix + name;
      return option;
    }));
  });

  document.addEventListener("keydown", function (event) {
    var search = document.getElementById("pv-search");
    var results = document.getElementById("pv-search-results");
    // The top bar's search: Escape closes the results, the arrow keys walk through them.
    if (results && event.target.closest && event.target.closest(".pv-search")) {
      var links = Array.prototype.slice.call(results.querySelectorAll("a[data-search-result]"));
      var at = links.indexOf(document.activeElement);
      if (event.key === "Escape") {
        results.replaceChildren();
        search.focus();
      } else if (event.key === "ArrowDown" && links.length) {
        event.preventDefault();
        links[Math.min(at + 1, links.length - 1)].focus();
      } else if (event.key === "ArrowUp" && links.length) {
        event.preventDefault();
        if (at <= 0) search.focus(); else links[at - 1].focus();
      }
      return;
    }
    // An in-place edit: Escape cancels it.
    var inline = event.target.closest && event.target.closest("form[data-inline-form]");
    if (inline && event.key === "Escape") {
      var cancel = inline.querySelector("[data-inline-cancel]");
      if (cancel) cancel.click();
    }
  });

  function setUp(root) {
    paintTags(root);
    bulkState();
    bulkAction();
    optionsState();
    // After an in-place edit opens, its input gets the focus.
    var input = root && root.querySelector ? root.querySelector("form[data-inline-form] input:not([type=hidden]), form[data-inline-form] select") : null;
    if (input && root !== document.body) input.focus();
  }
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
})();

// Imports: progress bars take their width from data-progress (set through the CSSOM, which the CSP allows),
// also after htmx swaps a newer progress in; a file input with data-max-bytes refuses a file over the
// upload limit before it is sent.
(function () {
  "use strict";

  function paintProgress(root) {
    (root || document).querySelectorAll(".progress-bar[data-progress]").forEach(function (bar) {
      var value = parseInt(bar.getAttribute("data-progress"), 10);
      if (!isNaN(value)) bar.style.setProperty("width", Math.max(0, Math.min(100, value)) + "%");
    });
  }

  function checkSize(input) {
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    input.setCustomValidity(file && limit && file.size > limit ? input.getAttribute("data-too-large") || "" : "");
    return input.validity.valid;
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[type=file][data-max-bytes]") && !checkSize(event.target)) {
      event.target.reportValidity();
    }
  });
  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      if (!checkSize(input)) {
        event.preventDefault();
        input.reportValidity();
      }
    });
  });
  document.addEventListener("htmx:load", function (event) { paintProgress(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { paintProgress(document); });
  } else {
    paintProgress(document);
  }
})();

// Duplicates and merging: the contact and company forms ask for likely duplicates a moment after typing stops
// in an e-mail, phone, name or company input (the server renders the panel, contacts/merges/_duplicates.html);
// a check still under way is dropped when the form is sent. On the merge screen, choosing another record to
// keep draws the comparison again with that record's defaults.
(function () {
  "use strict";
  var timer = null;
  var pending = null;

  function panelFor(input) {
    var panel = document.querySelector("[data-duplicates-check]");
    if (!panel || !input.matches || !input.matches(panel.getAttribute("data-duplicates-check"))) return null;
    return panel;
  }
  function drop() {
    window.clearTimeout(timer);
    if (pending) pending.abort();
    pending = null;
  }
  function ask(panel) {
    drop();
    var controller = new AbortController();
    pending = controller;
    var params = new URLSearchParams();
    document.querySelectorAll(panel.getAttribute("data-duplicates-check")).forEach(function (input) {
      if (input.name && !input.disabled && input.value) params.append(input.name, input.value);
    });
    var url = panel.getAttribute("data-duplicates-url");
    url += (url.indexOf("?") < 0 ? "?" : "&") + params.toString();
    fetch(url, { credentials: "same-origin", signal: controller.signal, headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || pending !== controller) return;
        pending = null;
        panel.innerHTML = html;
      })
      .catch(function () { /* dropped: the form was sent, or another check replaced this one */ });
  }
  function askSoon(panel, delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { ask(panel); }, delay);
  }

  document.addEventListener("input", function (event) {
    var panel = panelFor(event.target);
    if (panel) askSoon(panel, 600);
  });
  document.addEventListener("change", function (event) {
    var panel = panelFor(event.target);
    if (panel) askSoon(panel, 300);
    if (event.target.matches("input[data-merge-survivor]") && event.target.form) event.target.form.requestSubmit();
  });
  document.addEventListener("submit", function (event) {
    if (event.target.querySelector("[data-duplicates-check]")) drop();
  });
})();
