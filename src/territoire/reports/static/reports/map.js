/* Maps of the reports pages (Leaflet, vendored; no inline script: CSP script-src 'self').
 *
 * Every element with the class "report-map" becomes a map. What it shows comes from
 * data-* attributes (never from inline code):
 *   data-zones        URL of the commune's zone outlines (GeoJSON FeatureCollection)
 *   data-tiles        raster tile URL template; empty: outlines only, no third party
 *   data-attribution  attribution of the tiles
 *   data-points       id of a <script type="application/json"> block: FeatureCollection of
 *                     points, properties {title, url, status}
 *   data-route        id of a JSON block: GeoJSON of a crew round (line + numbered stops)
 *   data-picker       "1": a click chooses the location of a new report; then
 *                     data-lat, data-lon (ids of the hidden inputs), data-zone-select (id
 *                     of the district select), data-status (id of a live region)
 * Without JavaScript the map stays hidden (the "hidden" attribute) and the address field
 * with the district select is the way to say where the problem is; with JavaScript both
 * ways remain, and keyboard users can pan the map with the arrow keys and place the
 * marker at its centre with a button.
 */
(function () {
  "use strict";
  if (typeof window.L === "undefined") {
    return;
  }
  var L = window.L;
  var BRAND = "#1d4f91";
  // The page's language for the zoom buttons: data-* attributes of this <script> tag.
  var script = document.currentScript;
  function scriptText(name, fallback) {
    return (script && script.getAttribute(name)) || fallback;
  }

  function jsonBlock(id) {
    if (!id) {
      return null;
    }
    var node = document.getElementById(id);
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent || "null");
    } catch (error) {
      return null;
    }
  }

  function setText(id, text) {
    var node = id ? document.getElementById(id) : null;
    if (node) {
      node.textContent = text;
    }
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function popupContent(properties) {
    // Built with DOM nodes and textContent: a report's text is never parsed as HTML.
    var box = document.createElement("div");
    var title = document.createElement(properties.url ? "a" : "strong");
    title.textContent = properties.title || "";
    if (properties.url) {
      title.setAttribute("href", properties.url);
    }
    box.appendChild(title);
    if (properties.status) {
      var status = document.createElement("div");
      status.textContent = properties.status;
      box.appendChild(status);
    }
    return box;
  }

  function addPoints(map, data, bounds) {
    if (!data || !data.features || !data.features.length) {
      return;
    }
    var layer = L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: 7,
          color: "#ffffff",
          weight: 2,
          fillColor: feature.properties && feature.properties.closed ? "#4a515c" : BRAND,
          fillOpacity: 0.9,
        });
      },
      onEachFeature: function (feature, item) {
        var properties = feature.properties || {};
        if (properties.title) {
          item.bindPopup(popupContent(properties));
        }
      },
    }).addTo(map);
    bounds.extend(layer.getBounds());
  }

  function addRoute(map, data, bounds) {
    if (!data || !data.features || !data.features.length) {
      return;
    }
    var layer = L.geoJSON(data, {
      style: function () {
        return { color: BRAND, weight: 4, opacity: 0.8 };
      },
      pointToLayer: function (feature, latlng) {
        var properties = feature.properties || {};
        var depot = properties.kind === "depot";
        var marker = L.circleMarker(latlng, {
          radius: depot ? 9 : 8,
          color: "#ffffff",
          weight: 2,
          fillColor: depot ? "#1b1f24" : BRAND,
          fillOpacity: 1,
        });
        var label = depot ? "D" : String(properties.position || "");
        if (label) {
          marker.bindTooltip(label, { permanent: true, direction: "center", className: "round-stop-label" });
        }
        return marker;
      },
      onEachFeature: function (feature, item) {
        var properties = feature.properties || {};
        if (properties.title) {
          item.bindPopup(popupContent(properties));
        }
      },
    }).addTo(map);
    bounds.extend(layer.getBounds());
  }

  function setupPicker(element, map, zonesLayer) {
    var latInput = document.getElementById(element.getAttribute("data-lat") || "");
    var lonInput = document.getElementById(element.getAttribute("data-lon") || "");
    var zoneSelect = document.getElementById(element.getAttribute("data-zone-select") || "");
    var statusId = element.getAttribute("data-status");
    var chosenText = element.getAttribute("data-chosen-text") || "%(lat)s, %(lon)s";
    if (!latInput || !lonInput) {
      return;
    }
    var marker = null;

    function zoneAt(latlng) {
      if (!zonesLayer) {
        return null;
      }
      var found = null;
      zonesLayer.eachLayer(function (layer) {
        if (!found && layer.feature && insideFeature(latlng, layer.feature.geometry)) {
          found = layer.feature;
        }
      });
      return found;
    }

    // fromAddress: placed from a chosen address (address.js), so no reverse lookup.
    function choose(latlng, announce, fromAddress) {
      var lat = Math.round(latlng.lat * 1e6) / 1e6;
      var lon = Math.round(latlng.lng * 1e6) / 1e6;
      latInput.value = String(lat);
      lonInput.value = String(lon);
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.marker(latlng, { keyboard: false, alt: element.getAttribute("data-marker-text") || "" }).addTo(map);
      }
      var zone = zoneAt(latlng);
      if (zoneSelect && zone && zone.properties && zone.properties.id !== undefined) {
        zoneSelect.value = String(zone.properties.id);
      }
      if (announce) {
        var text = format(chosenText, { lat: lat.toFixed(5), lon: lon.toFixed(5), zone: zone ? zone.properties.name : "" });
        if (zonesLayer && !zone) {
          // The server refuses it too; saying so now saves a round trip.
          text += " " + (element.getAttribute("data-outside-text") || "");
        }
        setText(statusId, text);
        if (!fromAddress && typeof CustomEvent === "function") {
          element.dispatchEvent(new CustomEvent("territoire:pin", { bubbles: true, detail: { lat: lat, lon: lon } }));
        }
      }
    }
    element.addEventListener("territoire:place", function (event) {
      var here = L.latLng(event.detail.lat, event.detail.lon);
      map.setView(here, Math.max(map.getZoom(), 17));
      choose(here, true, true);
    });

    var lat = parseFloat(latInput.value);
    var lon = parseFloat(lonInput.value);
    if (!isNaN(lat) && !isNaN(lon)) {
      choose(L.latLng(lat, lon), false);
    }
    map.on("click", function (event) {
      choose(event.latlng, true);
    });
    var centre = document.getElementById(element.getAttribute("data-centre-button") || "");
    if (centre) {
      centre.hidden = false;
      centre.addEventListener("click", function () {
        choose(map.getCenter(), true);
      });
    }
    var locate = document.getElementById(element.getAttribute("data-locate-button") || "");
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(
          function (position) {
            var here = L.latLng(position.coords.latitude, position.coords.longitude);
            map.setView(here, Math.max(map.getZoom(), 16));
            choose(here, true);
          },
          function () {
            setText(statusId, element.getAttribute("data-locate-error") || "");
          },
          { enableHighAccuracy: true, timeout: 10000 }
        );
      });
    }
  }

  // Ray casting on GeoJSON rings (lon, lat): enough to pre-select the district; the
  // server decides the zone again with shapely.
  function insideRing(point, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (yi > point[1] !== yj > point[1] && point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi) {
        inside = !inside;
      }
    }
    return inside;
  }

  function insidePolygon(point, rings) {
    if (!rings.length || !insideRing(point, rings[0])) {
      return false;
    }
    for (var k = 1; k < rings.length; k++) {
      if (insideRing(point, rings[k])) {
        return false;
      }
    }
    return true;
  }

  function insideFeature(latlng, geometry) {
    var point = [latlng.lng, latlng.lat];
    if (!geometry) {
      return false;
    }
    if (geometry.type === "Polygon") {
      return insidePolygon(point, geometry.coordinates);
    }
    if (geometry.type === "MultiPolygon") {
      for (var p = 0; p < geometry.coordinates.length; p++) {
        if (insidePolygon(point, geometry.coordinates[p])) {
          return true;
        }
      }
    }
    return false;
  }

  function show(element, map, bounds) {
    if (!bounds.isValid()) {
      return;
    }
    element.hidden = false;
    map.invalidateSize();
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
  }

  function build(element, zones) {
    var map = L.map(element, { zoomControl: false, attributionControl: true });
    L.control
      .zoom({
        zoomInTitle: scriptText("data-zoom-in", "Zoom in"),
        zoomOutTitle: scriptText("data-zoom-out", "Zoom out"),
      })
      .addTo(map);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: element.getAttribute("data-attribution") || "" }).addTo(map);
    } else if (map.attributionControl) {
      map.attributionControl.setPrefix(false);
    }
    var bounds = L.latLngBounds([]);
    var zonesLayer = null;
    if (zones && zones.features && zones.features.length) {
      zonesLayer = L.geoJSON(zones, {
        style: function () {
          return { color: BRAND, weight: 2, fillColor: BRAND, fillOpacity: tiles ? 0.05 : 0.12 };
        },
        onEachFeature: function (feature, layer) {
          if (feature.properties && feature.properties.name) {
            layer.bindTooltip(feature.properties.name, { sticky: true });
          }
        },
      }).addTo(map);
    }
    var routeBounds = L.latLngBounds([]);
    addRoute(map, jsonBlock(element.getAttribute("data-route")), routeBounds);
    addPoints(map, jsonBlock(element.getAttribute("data-points")), routeBounds);
    if (routeBounds.isValid()) {
      bounds.extend(routeBounds);
    } else if (zonesLayer) {
      bounds.extend(zonesLayer.getBounds());
    }
    if (element.getAttribute("data-picker") === "1") {
      setupPicker(element, map, zonesLayer);
      if (zonesLayer) {
        bounds.extend(zonesLayer.getBounds());
      }
    }
    show(element, map, bounds);
  }

  function init(element) {
    var url = element.getAttribute("data-zones");
    if (!url || !window.fetch) {
      build(element, null);
      return;
    }
    window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      })
      .then(function (zones) {
        build(element, zones);
      });
  }

  function start() {
    var maps = document.querySelectorAll(".report-map");
    for (var i = 0; i < maps.length; i++) {
      init(maps[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
