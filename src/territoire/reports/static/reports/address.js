/* The address field of the report form: suggestions as one types, from the site's own
 * JSON endpoint (the Base Adresse Nationale imported by the installation; no third party),
 * and the address nearest to the pin when the map's pin moves (event "territoire:pin"
 * from map.js). Choosing a suggestion sets the hidden address id and the point, and
 * moves the pin (event "territoire:place"). Without JavaScript the "Chercher l'adresse"
 * button asks the server for the same list. */
(function () {
  "use strict";
  var DELAY_MS = 250;
  var MIN_CHARS = 3;

  function start() {
    var box = document.querySelector(".address-search[data-search-url]");
    if (!box || !window.fetch) {
      return;
    }
    var input = document.getElementById(box.getAttribute("data-input") || "");
    var idInput = document.getElementById(box.getAttribute("data-id-input") || "");
    var latInput = document.getElementById(box.getAttribute("data-lat") || "");
    var lonInput = document.getElementById(box.getAttribute("data-lon") || "");
    var status = document.getElementById("address-status");
    if (!input) {
      return;
    }
    var list = document.createElement("ul");
    list.id = input.id + "_suggestions";
    list.className = "address-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", box.getAttribute("data-list-label") || "");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    var results = [];
    var active = -1;
    var timer = null;
    var sequence = 0;

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.children;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
      }
    }

    function choose(index) {
      var found = results[index];
      if (!found) {
        return;
      }
      input.value = found.label;
      input.removeAttribute("data-auto");
      if (idInput) {
        idInput.value = found.type === "street" ? "" : found.id;
      }
      if (latInput && lonInput) {
        latInput.value = String(found.lat);
        lonInput.value = String(found.lon);
      }
      var map = document.querySelector(".report-map[data-picker]");
      if (map && typeof CustomEvent === "function") {
        map.dispatchEvent(new CustomEvent("territoire:place", { detail: { lat: found.lat, lon: found.lon } }));
      }
      close();
    }

    function show(data) {
      results = data.results || [];
      list.textContent = "";
      if (!results.length) {
        close();
        return;
      }
      for (var i = 0; i < results.length; i++) {
        var item = document.createElement("li");
        item.id = list.id + "_" + i;
        item.setAttribute("role", "option");
        item.textContent = results[i].label;
        item.setAttribute("data-index", String(i));
        list.appendChild(item);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    function search() {
      var text = input.value.trim();
      if (text.length < MIN_CHARS) {
        close();
        return;
      }
      var mine = ++sequence;
      fetch(box.getAttribute("data-search-url") + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (mine === sequence) {
            show(data);
          }
        })
        .catch(close);
    }

    input.addEventListener("input", function () {
      input.removeAttribute("data-auto");
      if (idInput) {
        idInput.value = "";
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        return;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + results.length) % results.length);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 200);
    });
    list.addEventListener("mousedown", function (event) {
      var target = event.target.closest ? event.target.closest("li[data-index]") : null;
      if (target) {
        event.preventDefault();
        choose(parseInt(target.getAttribute("data-index"), 10));
      }
    });

    // The pin moved: the nearest address, unless the resident typed one themselves.
    document.addEventListener("territoire:pin", function (event) {
      if (input.value.trim() && !input.hasAttribute("data-auto")) {
        return;
      }
      var url = box.getAttribute("data-nearest-url") + "?lat=" + event.detail.lat + "&lon=" + event.detail.lon;
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { result: null };
        })
        .then(function (data) {
          var found = data.result;
          input.value = found ? found.label : "";
          input.setAttribute("data-auto", "1");
          if (idInput) {
            idInput.value = found ? found.id : "";
          }
          if (status) {
            status.textContent = found
              ? (box.getAttribute("data-nearest-text") || "%(label)s").replace("%(label)s", found.label)
              : "";
          }
        })
        .catch(function () {});
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
