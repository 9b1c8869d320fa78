/* gridapp map layers: data comes from the JSON API; user text is inserted with textContent only. */
"use strict";

function gridappFetch(url) {
  return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) {
      if (!r.ok) { throw new Error(url + " → HTTP " + r.status); }
      return r.json();
    });
}

/* The areas' GeoJSON a page uses twice (the coverage map's layers and the context's names) is asked
   for once: one promise per URL for the page's life (the areas do not change while it is open). */
var gridappAreaRequests = {};
function gridappFetchAreas(url) {
  if (!gridappAreaRequests[url]) { gridappAreaRequests[url] = gridappFetch(url); }
  return gridappAreaRequests[url];
}

function gridappTooltip(lines) {
  var box = document.createElement("div");
  lines.forEach(function (line, i) {
    var row = document.createElement(i === 0 ? "strong" : "div");
    row.textContent = line;
    box.appendChild(row);
  });
  return box;
}

/* A map narrower than this (CSS pixels: a phone) opens with its layer list and legend folded, so
   that they do not cover half of it; a tap unfolds them. */
var GRIDAPP_FOLD_BELOW_PX = 480;

function gridappFolded(map) {
  return map.getSize().x < GRIDAPP_FOLD_BELOW_PX;
}

/* A legend control (items: [{label, fill, stroke}]) under a folding title, folded on a phone.
   opts (optional): className (added to the control's), open (true/false: the user's last choice,
   kept when the page redraws the legend; null: by the map's width), onToggle(open). Returns it. */
function gridappLegend(map, items, title, opts) {
  opts = opts || {};
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "gridapp-legend" + (opts.className ? " " + opts.className : ""));
    var box = document.createElement("details");
    box.open = opts.open === null || opts.open === undefined ? !gridappFolded(map) : opts.open;
    if (opts.onToggle) { box.addEventListener("toggle", function () { opts.onToggle(box.open); }); }
    var h = document.createElement("summary");
    h.textContent = title;
    box.appendChild(h);
    div.appendChild(box);
    L.DomEvent.disableClickPropagation(div);
    items.forEach(function (it) {
      var row = document.createElement("div");
      var sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = it.fill;
      sw.style.borderColor = it.stroke;
      row.appendChild(sw);
      row.appendChild(document.createTextNode(it.label));
      box.appendChild(row);
    });
    return div;
  };
  return legend.addTo(map);
}

function gridappStatus(map, text, isError) {
  var el = document.getElementById("map-status");
  if (el) {
    el.textContent = text;
    el.className = isError ? "map-status error" : "map-status";
  }
}

function gridappCoverage(map, cfg) {
  var L_ = cfg.labels;
  map.attributionControl.setPrefix("Leaflet");
  // communities gridded or not: labels and colours from the server (gridapp/coverage/rules.py)
  var units = cfg.community_styles;
  var styles = {
    district: {color: "#c0392b", weight: 3, fill: false, className: "gridapp-district"},
    township: {color: "#8e44ad", weight: 2, dashArray: "6 4", fill: false, className: "gridapp-township"},
    gridded: L.extend({weight: 1.5, className: "gridapp-community"}, units.gridded),
    ungridded: L.extend({weight: 1.5, className: "gridapp-community"}, units.ungridded),
    grid: {color: "#1f5fa8", weight: 1, fillOpacity: 0.05, className: "gridapp-grid"},
  };
  var tiled = !!cfg.tiles;  // a city-scale scope: grids from vector tiles, incidents as server clusters
  var names = tiled ? ["district", "township"] : ["district", "township", "community", "grids"];
  if (cfg.urls.incidents && !tiled) { names.push("incidents"); }
  window.gridappMap = {ready: false, counts: {}};
  // city scale: the view is already the scope's (base_map); the tiles load while the outlines do
  var cityTiles = tiled ? gridappCityTiles(map, cfg, styles) : null;
  Promise.all(names.map(function (n) { return n === "incidents" ? gridappFetch(cfg.urls[n]) : gridappFetchAreas(cfg.urls[n]); }))
    .then(function (data) {
      var byName = {};
      names.forEach(function (n, i) { byName[n] = data[i]; });
      var overlays = {};
      var approx = function (p) { return p.boundary_source === "derived" ? L_.approximate : ""; };

      var community = tiled ? cityTiles.community : L.geoJSON(byName.community, {
        style: function (f) { return f.properties.gridded ? styles.gridded : styles.ungridded; },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(gridappTooltip([p.name, p.code,
            p.gridded ? styles.gridded.label : styles.ungridded.label, approx(p)].filter(Boolean)), {sticky: true});
        },
      }).addTo(map);
      overlays[L_.communities] = community;

      var grids = tiled ? cityTiles.grids || gridappTileLayer(map, cfg.tiles.grids, "grids",
        function () { return L.extend({fill: true}, styles.grid); },
        function (p) { return gridappTooltip([p.name, p.code]); }, cfg.tiles.bounds) : L.geoJSON(byName.grids, {
        style: function () { return styles.grid; },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(gridappTooltip([f.properties.name, f.properties.code]), {sticky: true});
        },
      }).addTo(map);
      overlays[L_.grids] = grids;

      var outlinePane = tiled ? "gridappOutlines" : "overlayPane";  // above the tiles
      var township = L.geoJSON(byName.township, {
        style: function () { return styles.township; }, interactive: false, pane: outlinePane,
      }).addTo(map);
      overlays[L_.townships] = township;

      var district = L.geoJSON(byName.district, {
        style: function () { return styles.district; }, interactive: false, pane: outlinePane,
      }).addTo(map);
      overlays[L_.district] = district;

      if (byName.incidents) {
        var incidents = L.geoJSON(byName.incidents, {
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, {radius: 6, color: "#d35400", weight: 2, fillOpacity: 0.7,
                                           className: "gridapp-incident"});
          },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            layer.bindTooltip(gridappTooltip([p.category_name, p.description, p.grid_code || p.community_code]));
          },
        }).addTo(map);
        overlays[L_.incidents] = incidents;
      }

      // A click on a shape counts as a click on the map (Leaflet does not pass it on to the
      // map when the shape listens to clicks, as shapes with tooltips do).
      (tiled ? [] : [community, grids]).forEach(function (group) {  // tile clicks reach the map (map_scale.js)
        group.on("click", function (e) {
          map.fire("click", {latlng: e.latlng, layerPoint: e.layerPoint,
                             containerPoint: e.containerPoint, originalEvent: e.originalEvent});
        });
      });
      var control = L.control.layers(null, overlays, {collapsed: gridappFolded(map)}).addTo(map);
      if (cfg.urls.coverage && !tiled) { gridappCoverageStatus(map, cfg, control); }
      gridappLegend(map, [
        {label: L_.district, fill: "#ffffff", stroke: styles.district.color},
        {label: L_.townships, fill: "#ffffff", stroke: styles.township.color},
        {label: styles.gridded.label, fill: styles.gridded.fillColor, stroke: styles.gridded.color},
        {label: styles.ungridded.label, fill: styles.ungridded.fillColor, stroke: styles.ungridded.color},
        {label: L_.grid, fill: "#ffffff", stroke: styles.grid.color},
      ].concat(byName.incidents || (tiled && cfg.urls.incidents) ? [{label: L_.incidents, fill: "#f0b27a", stroke: "#d35400"}] : []), L_.legend);
      if (tiled) { /* keep the scope's view: refitting would fetch the tiles twice */ }
      else if (district.getLayers().length) { map.fitBounds(district.getBounds()); }
      else if (grids.getLayers().length) { map.fitBounds(grids.getBounds()); }
      if (!tiled && cfg.focus && cfg.focus.length === 4) {
        map.fitBounds([[cfg.focus[1], cfg.focus[0]], [cfg.focus[3], cfg.focus[2]]]);
      }
      names.forEach(function (n) { window.gridappMap.counts[n] = byName[n].features.length; });
      gridappStatus(map, L_.approximate_note, false);
      if (tiled) { gridappCoverageTiles(map, cfg, control, cityTiles); return; }
      window.gridappMap.ready = true;
      gridappMarkDrawn();
    })
    .catch(function (err) {
      window.gridappMap.error = String(err);
      gridappStatus(map, L_.load_failed + " " + String(err), true);
    });
}

function gridappPointPicker(map, cfg) {
  if (document.readyState === "loading") {  // the inputs may come after the map in the page
    document.addEventListener("DOMContentLoaded", function () { gridappPointPicker(map, cfg); });
    return;
  }
  var lon = document.getElementById(cfg.lon_input);
  var lat = document.getElementById(cfg.lat_input);
  var marker = null;
  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); }
    else { marker = L.marker(latlng, {interactive: false}).addTo(map); }
  }
  function fromInputs() {
    var x = parseFloat(lon.value), y = parseFloat(lat.value);
    if (isFinite(x) && isFinite(y)) { place([y, x]); }
  }
  map.on("click", function (e) {
    lon.value = e.latlng.lng.toFixed(6);
    lat.value = e.latlng.lat.toFixed(6);
    place(e.latlng);
  });
  lon.addEventListener("change", fromInputs);
  lat.addEventListener("change", fromInputs);
  fromInputs();
}

/* Coverage layer (issue 4): each grid coloured by its status; the statuses, their order, labels and
   colours come from the server as cfg.coverage_styles (gridapp/coverage/rules.py). */
function gridappCoverageLegend(map, cfg, counts) {
  var styles = cfg.coverage_styles;
  gridappLegend(map, Object.keys(styles).map(function (s) {
    return {label: styles[s].label + (counts ? " (" + counts[s] + ")" : ""), fill: styles[s].fillColor,
            stroke: styles[s].color};
  }), cfg.labels.cov_layer);
}

function gridappCoverageStatus(map, cfg, control) {
  var L_ = cfg.labels;
  window.gridappMap.coverage = null;
  gridappFetch(cfg.urls.coverage).then(function (data) {
    var counts = {};
    Object.keys(cfg.coverage_styles).forEach(function (s) { counts[s] = 0; });
    var layer = L.geoJSON(data, {
      style: function (f) {
        var st = cfg.coverage_styles[f.properties.status];
        return {color: st.color, weight: 1, fillColor: st.fillColor, fillOpacity: 0.55,
                className: "gridapp-cov gridapp-cov-" + f.properties.status};
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties;
        counts[p.status] += 1;
        lyr.bindTooltip(gridappTooltip([p.name, p.code, L_["cov_" + p.status],
          L_.cov_workers + " " + p.workers,
          p.build_type ? L_["cov_" + p.build_type] : L_.cov_no_group,
          L_.cov_members + " " + p.members]), {sticky: true});
      },
    }).addTo(map);
    control.addOverlay(layer, L_.cov_layer);
    gridappCoverageLegend(map, cfg, counts);
    window.gridappMap.coverage = counts;
  }).catch(function (err) {
    window.gridappMap.error = String(err);
    gridappStatus(map, L_.load_failed + " " + String(err), true);
  });
}

function gridappCityTiles(map, cfg, styles) {
  // City scale (map_scale.js): communities and grid coverage from vector tiles, added at once;
  // .loaded resolves when the tiles of the first view are drawn.
  var L_ = cfg.labels, b = cfg.tiles.bounds;
  // the page's fitBounds may still be animating the zoom: settle the view first, so that the
  // tiles are asked for once, at the zoom of the first view
  map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {animate: false});
  if (!map.getPane("gridappOutlines")) { map.createPane("gridappOutlines").style.zIndex = 460; }
  var community = gridappTileLayer(map, cfg.tiles.communities, "communities", function (p) {
    return L.extend({fill: true}, p.gridded ? styles.gridded : styles.ungridded);
  }, function (p) {
    return gridappTooltip([p.name, p.code, p.gridded ? styles.gridded.label : styles.ungridded.label,
      p.boundary_source === "derived" ? L_.approximate : ""].filter(Boolean));
  }, cfg.tiles.unit_bounds);
  // pages without the coverage layer (reporting forms) draw the grid outlines instead
  var grids = cfg.urls.coverage ? null : gridappTileLayer(map, cfg.tiles.grids, "grids", function () {
    return L.extend({fill: true}, styles.grid);
  }, function (p) { return gridappTooltip([p.name, p.code]); }, b);
  var coverage = !cfg.urls.coverage ? null : gridappTileLayer(map, cfg.tiles.coverage, "coverage", function (p) {
    var st = cfg.coverage_styles[p.status];
    return {color: st.color, weight: 1, fill: true, fillColor: st.fillColor, fillOpacity: 0.55};
  }, function (p) {
    return gridappTooltip([p.name, p.code, L_["cov_" + p.status], L_.cov_workers + " " + p.workers,
      p.build_type ? L_["cov_" + p.build_type] : L_.cov_no_group, L_.cov_members + " " + p.members]);
  }, b);
  // the grid layer first: its tiles (the heaviest) are asked for first; the communities stay below it
  var layers = [coverage || grids, community];
  community.options.zIndex = 1;
  layers[0].options.zIndex = 2;
  var loaded = layers.map(function (layer) {
    return new Promise(function (resolve) { layer.once("load", resolve); });
  });
  layers.forEach(function (layer) { layer.addTo(map); });
  return {community: community, coverage: coverage, grids: grids, loaded: Promise.all(loaded)};
}

function gridappCoverageTiles(map, cfg, control, cityTiles) {
  // City scale, once the areas are drawn: the coverage overlay and legend, the incident clusters;
  // the map is ready when the coverage tiles of the first view are drawn too.
  var L_ = cfg.labels;
  window.gridappMap.counts.grids = cfg.tiles.grid_count;
  var coverage = cityTiles.coverage;
  cityTiles.loaded.then(function () {
    window.gridappMap.coverage = {tiles: true};
    window.gridappMap.ready = true;
    gridappMarkDrawn();
    if (incidents) { incidents.addTo(map); }  // after the grids: the clusters do not delay them
  });
  var incidents = null;
  if (coverage) {
    control.addOverlay(coverage, L_.cov_layer);
    gridappCoverageLegend(map, cfg, null);
  }
  if (cfg.urls.incidents) {
    incidents = gridappServerClusters(map, {clusters_url: cfg.tiles.clusters, points_url: cfg.urls.incidents,
      cluster_max_zoom: cfg.tiles.cluster_max_zoom, labels: L_}, function (f) {
      var c = f.geometry.coordinates, p = f.properties;
      return L.circleMarker([c[1], c[0]], {radius: 6, color: "#d35400", weight: 2, fillOpacity: 0.7,
                                           className: "gridapp-incident"})
        .bindTooltip(gridappTooltip([p.category_name, p.description, p.grid_code || p.community_code]));
    });
    control.addOverlay(incidents, L_.incidents);
  }
}
