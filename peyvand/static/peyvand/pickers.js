// Peyvand — type-ahead pickers (contacts/forms/pickers.py). The server renders a <select data-picker> holding
// only the empty choice and the current record; this turns it into a combobox: a text input whose
// suggestions come from data-picker-url (?q=…, JSON [{id, label}]) a moment after typing stops. The select
// stays in the form, hidden, and carries the value, so the form posts what it always did, and scripts
// listening for "change" on the select (the duplicates check) still hear it. Keyboard: ↓/↑ walk the
// suggestions, Enter picks, Escape closes (twice: puts the current choice back). Leaving the box keeps the
// current choice unless the text was emptied (no company) or names a suggestion exactly.
(function () {
  "use strict";
  var DELAY = 250;
  var made = 0;

  function labelText(select) {
    var label = select.id ? document.querySelector('label[for="' + CSS.escape(select.id) + '"]') : null;
    return { element: label, text: label ? label.textContent.replace(/\*/g, "").trim() : "" };
  }

  function same(a, b) {
    return a.trim().toLocaleLowerCase() === b.trim().toLocaleLowerCase();
  }

  function enhance(select) {
    if (select.pvPicker || select.disabled || !select.getAttribute("data-picker-url")) return;
    made += 1;
    var base = select.id || "pv-picker-" + made;
    var label = labelText(select);
    var wrap = document.createElement("div");
    wrap.className = "pv-picker";
    var input = document.createElement("input");
    input.type = "text";
    input.id = base + "-search";
    input.className = select.className.replace(/\bform-select(-sm)?\b/g, "form-control$1");
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = select.getAttribute("data-picker-placeholder") || "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", base + "-listbox");
    ["aria-invalid", "aria-describedby", "aria-required"].forEach(function (name) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    });
    var list = document.createElement("ul");
    list.id = base + "-listbox";
    list.className = "dropdown-menu pv-picker-list";
    list.setAttribute("role", "listbox");
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    if (label.element) {
      label.element.htmlFor = input.id;
      list.setAttribute("aria-label", label.text);
      select.setAttribute("aria-label", label.text);
    }
    select.hidden = true;
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");
    select.parentNode.insertBefore(wrap, select);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(status);

    var state = { items: [], active: -1, timer: null, request: null, asked: null };
    select.pvPicker = state;

    function currentLabel() {
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.text : "";
    }
    input.value = currentLabel();

    function isOpen() {
      return input.getAttribute("aria-expanded") === "true";
    }
    function close() {
      window.clearTimeout(state.timer);
      if (state.request) state.request.abort();
      state.request = null;
      list.classList.remove("show");
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      state.active = -1;
    }
    function mark(index) {
      state.active = index;
      Array.prototype.forEach.call(list.querySelectorAll("[role=option]"), function (option, i) {
        var on = i === index;
        option.classList.toggle("active", on);
        option.setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          input.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        }
      });
      if (index < 0) input.removeAttribute("aria-activedescendant");
    }
    function draw(items, query) {
      state.items = items;
      list.replaceChildren();
      items.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = base + "-option-" + i;
        option.className = "dropdown-item";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-value", String(item.id));
        var text = document.createElement("bdi");
        text.textContent = item.label;
        option.appendChild(text);
        list.appendChild(option);
      });
      var found = items.filter(function (item) { return item.id !== ""; }).length;
      if (!found) {
        var none = document.createElement("li");
        none.className = "dropdown-item-text text-body-secondary";
        none.setAttribute("aria-hidden", "true");
        none.textContent = select.getAttribute("data-picker-none") || "";
        list.appendChild(none);
      }
      status.textContent = found
        ? (select.getAttribute("data-picker-count") || "").replace("%(count)s", String(found))
        : select.getAttribute("data-picker-none") || "";
      list.classList.add("show");
      input.setAttribute("aria-expanded", "true");
      // Typed text: the best match is ready for Enter. Just opened: the current choice is marked.
      mark(query ? (items.length ? 0 : -1) : items.map(function (item) { return item.id; }).indexOf(select.value));
    }
    function ask(query) {
      window.clearTimeout(state.timer);
      if (state.request) state.request.abort();
      var controller = new AbortController();
      state.request = controller;
      var url = select.getAttribute("data-picker-url");
      url += (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query.trim());
      fetch(url, { credentials: "same-origin", signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (found) {
          if (state.request !== controller || !Array.isArray(found)) return;
          state.request = null;
          state.asked = query;
          var items = found.map(function (item) { return { id: String(item.id), label: String(item.label) }; });
          if (!query.trim()) items.unshift({ id: "", label: select.options[0] ? select.options[0].text : "—" });
          draw(items, query.trim());
        })
        .catch(function () { /* dropped: a newer query replaced it, or the page is leaving */ });
    }
    function askSoon() {
      window.clearTimeout(state.timer);
      state.timer = window.setTimeout(function () { ask(input.value); }, DELAY);
    }
    function pick(item) {
      var changed = select.value !== item.id;
      while (select.options.length > 1) select.remove(1);
      if (item.id !== "") select.add(new Option(item.label, item.id, true, true));
      select.value = item.id;
      input.value = item.id !== "" ? item.label : "";
      close();
      if (changed) select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    // Leaving the box: an emptied box means no record, text naming a suggestion picks it, anything else
    // puts the current choice back (the select never holds a value the user did not choose).
    function settle() {
      var typed = input.value;
      if (!typed.trim()) {
        if (select.value !== "") pick({ id: "", label: "" });
      } else if (!same(typed, currentLabel())) {
        var match = state.items.filter(function (item) { return item.id !== "" && same(item.label, typed); });
        if (match.length === 1 && state.asked === typed) pick(match[0]);
        else input.value = currentLabel();
      }
      close();
    }

    input.addEventListener("input", askSoon);
    input.addEventListener("click", function () {
      if (!isOpen()) ask(same(input.value, currentLabel()) ? "" : input.value);
    });
    input.addEventListener("keydown", function (event) {
      var count = state.items.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!isOpen()) ask(same(input.value, currentLabel()) ? "" : input.value);
        else if (count) mark(Math.min(state.active + 1, count - 1));
      } else if (event.key === "ArrowUp") {
        if (isOpen() && count) {
          event.preventDefault();
          mark(Math.max(state.active - 1, 0));
        }
      } else if (event.key === "Enter") {
        if (isOpen()) {
          event.preventDefault(); // Enter picks a suggestion; it does not send the form
          if (state.active >= 0) pick(state.items[state.active]);
        }
      } else if (event.key === "Escape") {
        if (isOpen()) {
          event.preventDefault();
          close();
        } else if (!same(input.value, currentLabel())) {
          event.preventDefault();
          input.value = currentLabel();
        }
      }
    });
    // A press on a suggestion must not blur the input first (the list would close under the pointer).
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (!option) return;
      var index = Array.prototype.indexOf.call(list.querySelectorAll("[role=option]"), option);
      if (index >= 0) pick(state.items[index]);
      input.focus();
    });
    input.addEventListener("blur", settle);
    // The form is sent with what the select holds; a pending lookup is dropped.
    if (select.form) select.form.addEventListener("submit", function () { settle(); });
  }

  function setUp(root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(enhance);
  }
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
})();
