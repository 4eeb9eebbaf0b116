/* Maps on demand for the public reports pages.
 *
 * Leaflet and its stylesheet weigh about 165 KB, more than the whole rest of a page; a
 * resident who only reads the list should not download them. This small script puts an
 * "Afficher la carte" button before each map (".report-map") and fetches Leaflet, then
 * map.js, on the first click (or at once when the form comes back with a point already
 * chosen). The URLs and the button's words come from data-* attributes of this <script>
 * tag (no inline code: CSP script-src 'self'). Without JavaScript nothing changes: the
 * maps stay hidden and the address field is the way to say where.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    return;
  }

  function attr(name) {
    return script.getAttribute(name) || "";
  }

  function addScript(src, attributes, onload, onerror) {
    var node = document.createElement("script");
    node.src = src;
    Object.keys(attributes).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    node.onload = onload;
    node.onerror = onerror;
    document.head.appendChild(node);
  }

  function start() {
    var maps = Array.prototype.slice.call(document.querySelectorAll(".report-map"));
    if (!maps.length) {
      return;
    }
    var buttons = [];
    var state = "idle";

    function fail() {
      state = "idle";
      buttons.forEach(function (button) {
        button.disabled = false;
        button.textContent = attr("data-failed-text") || attr("data-show-text");
      });
    }

    function load() {
      if (state !== "idle") {
        return;
      }
      state = "loading";
      var focused = buttons.indexOf(document.activeElement) >= 0;
      buttons.forEach(function (button) {
        button.disabled = true;
        button.textContent = attr("data-loading-text");
      });
      // Each map shows itself (map.js removes "hidden") once its outlines are drawn;
      // its button goes then, and the keyboard focus follows to the map.
      maps.forEach(function (element, index) {
        var observer = new MutationObserver(function () {
          if (!element.hidden) {
            observer.disconnect();
            var holder = buttons[index] && buttons[index].parentNode;
            if (holder && holder.parentNode) {
              holder.parentNode.removeChild(holder);
            }
            if (focused && index === 0) {
              element.focus();
            }
          }
        });
        observer.observe(element, { attributes: true, attributeFilter: ["hidden"] });
      });
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = attr("data-leaflet-css");
      document.head.appendChild(css);
      addScript(
        attr("data-leaflet"),
        {},
        function () {
          addScript(
            attr("data-map"),
            { "data-zoom-in": attr("data-zoom-in"), "data-zoom-out": attr("data-zoom-out") },
            function () {
              state = "done";
            },
            fail
          );
        },
        fail
      );
    }

    maps.forEach(function (element) {
      var holder = document.createElement("p");
      holder.className = "map-show";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = attr("data-show-text");
      button.addEventListener("click", load);
      holder.appendChild(button);
      element.parentNode.insertBefore(holder, element);
      buttons.push(button);
    });

    // A form shown again with a point already chosen: the map comes back with it.
    var picked = maps.some(function (element) {
      var input = document.getElementById(element.getAttribute("data-lat") || "");
      return element.getAttribute("data-picker") === "1" && input && input.value !== "";
    });
    if (picked) {
      load();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
