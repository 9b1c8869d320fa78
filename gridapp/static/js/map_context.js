/* Where a map is, without a base map (issue 20): the district, township, community and grid
   outlines, and their names at the zooms of cfg.levels (gridapp/boundaries/rules.py OUTLINE_LEVELS),
   drawn in panes under every data layer (outlines 350, names 390; Leaflet's overlays are at 400,
   markers at 600), never interactive: clicks reach the map and the data layers. Names are inserted
   with textContent. window.gridappContext reports what was asked for and drawn (tests). */
"use strict";

var GRIDAPP_CONTEXT_MAX_LABELS = 400;  // names written at once in the view (a denser view writes none of that level)

function gridappContextPanes(map) {
  if (map.getPane("gridappContext")) { return; }
  [["gridappContext", 350], ["gridappContextLabels", 390]].forEach(function (p) {
    var pane = map.createPane(p[0]);
    pane.style.zIndex = p[1];
    pane.style.pointerEvents = "none";
  });
}

function gridappLabelPoint(geometry) {
  // the area-weighted centroid of the largest polygon's outer ring ([lat, lng]); derived areas are
  // compact, so it lies inside them
  var polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates, best = null;
  polys.forEach(function (poly) {
    var ring = poly[0], a = 0, cx = 0, cy = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      a += f; cx += (ring[j][0] + ring[i][0]) * f; cy += (ring[j][1] + ring[i][1]) * f;
    }
    if (a !== 0 && (!best || Math.abs(a) > best.a)) { best = {a: Math.abs(a), lat: cy / (3 * a), lng: cx / (3 * a)}; }
  });
  return best ? L.latLng(best.lat, best.lng) : null;
}

function gridappContextTiles(map, url, layerName, style) {
  // city scale: one MVT layer of /api/v1/tiles drawn as outlines (512-pixel tiles, MVT zoom in {tz})
  var styles = {};
  styles[layerName] = function () { return style; };
  return L.vectorGrid.protobuf(url.replace("{z}", "{tz}"), {
    tz: function (data) { return Math.max(data.z - 1, 0); }, tileSize: 512, maxNativeZoom: 19, maxZoom: 19,
    rendererFactory: L.canvas.tile, interactive: false, pane: "gridappContext",
    fetchOptions: {credentials: "same-origin"}, vectorTileLayerStyles: styles,
  });
}

function gridappContext(map, cfg) {
  var state = window.gridappContext = {requested: [], drawn: {}, labels: {}, ready: false, error: null};
  gridappContextPanes(map);
  var renderer = L.svg({pane: "gridappContext", padding: 0.5});
  var levels = Object.keys(cfg.levels), outlines = {}, names = {};
  var tiled = cfg.tiles ? {community: "communities", grid: "grids"} : {};
  var labels = L.layerGroup().addTo(map);

  function style(level) {
    var s = cfg.levels[level];
    return {color: s.color, weight: s.weight, dashArray: s.dashArray, fill: false, opacity: 0.9,
            interactive: false, renderer: renderer, className: "gridapp-context-" + level};
  }
  function visible(level, zoom) { return zoom >= cfg.levels[level].from_zoom; }
  function update() {
    var zoom = map.getZoom(), view = map.getBounds().pad(0.1);
    Object.keys(outlines).forEach(function (level) {
      var on = visible(level, zoom);
      if (on && !map.hasLayer(outlines[level])) { outlines[level].addTo(map); }
      if (!on && map.hasLayer(outlines[level])) { map.removeLayer(outlines[level]); }
    });
    labels.clearLayers();
    Object.keys(names).forEach(function (level) {
      var z = cfg.levels[level].label_zooms;
      state.labels[level] = 0;
      if (zoom < z[0] || zoom >= z[1]) { return; }
      var shown = names[level].filter(function (n) { return view.contains(n.at); });
      if (shown.length > GRIDAPP_CONTEXT_MAX_LABELS) { return; }
      shown.forEach(function (n) {
        var span = document.createElement("span");
        span.textContent = n.name;
        labels.addLayer(L.marker(n.at, {icon: L.divIcon({html: span, className: "gridapp-context-label " +
          "gridapp-context-label-" + level, iconSize: null}), interactive: false, keyboard: false,
          pane: "gridappContextLabels"}));
      });
      state.labels[level] = shown.length;
    });
  }

  var fetched = levels.filter(function (level) { return !tiled[level]; }).map(function (level) {
    state.requested.push(cfg.urls[level]);
    return gridappFetchAreas(cfg.urls[level]).then(function (fc) {
      names[level] = fc.features.map(function (f) {
        return {name: f.properties.name, at: gridappLabelPoint(f.geometry)};
      }).filter(function (n) { return n.at && n.name; });
      if (cfg.outlines) { outlines[level] = L.geoJSON(fc, {style: function () { return style(level); }, interactive: false}); }
      state.drawn[level] = fc.features.length;
    });
  });
  if (cfg.outlines && cfg.tiles) {
    Object.keys(tiled).forEach(function (level) {
      outlines[level] = gridappContextTiles(map, cfg.tiles[tiled[level]], tiled[level], L.extend(style(level), {fill: false}));
      state.requested.push(cfg.tiles[tiled[level]]);
    });
  }
  Promise.all(fetched).then(function () {
    map.on("zoomend moveend", update);
    update();
    state.ready = true;
  }).catch(function (err) {
    state.error = String(err);
  });
}
