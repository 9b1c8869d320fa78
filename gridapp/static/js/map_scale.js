/* The map at city scale: grids from vector tiles (Leaflet.VectorGrid, MVT made by PostGIS) and
   incidents as server-side clusters below a zoom threshold. User text is inserted with textContent. */
"use strict";

// The tile renderer of the grid layers: a subclass of Leaflet.VectorGrid's canvas tile, given to
// VectorGrid through its public rendererFactory option — the library's own objects are not patched
// (base-map and context vector tiles use them as they are). Why VectorGrid and this renderer, not
// protomaps-leaflet 5.1 (maintained): its feature picking is "only appropriate for debugging"
// (queryTileFeaturesDebug, its docs point to MapLibre GL, which needs WebGL) while the grids need
// tooltips and clicks, and its painter fills and strokes every feature on its own — the cost this
// renderer removes (bench/map.py). It overrides two hooks of Leaflet's canvas:
// * click: VectorGrid 1.3.0 was written for Leaflet 1.0: its canvas tiles handle clicks themselves
//   and call L.DomEvent.fakeStop (gone since Leaflet 1.8), and Leaflet 1.9 keeps the map from seeing
//   DOM events of a canvas. As Leaflet 1.9's own canvas does: fire the click on the feature under the
//   pointer, if any, and on the map (so a click on a grid picks a point, as on the GeoJSON maps);
// * drawing: Leaflet's canvas fills and strokes every feature on its own ("TODO optimization: 1
//   fill/stroke for all features with equal style", leaflet-src.js), and VectorGrid's tile renderer
//   draws each feature the moment it is read. A city tile holds thousands of grids: this renderer
//   draws once, when all features of the tile are read, with one path per style — every fill
//   first, then every stroke (bench/map.py: the client's drawing was the largest part of the time
//   to drawn). Hit-testing (tooltips, clicks) still uses each feature's own parts.
var GridappCanvasTile = (window.L && L.Canvas && L.Canvas.Tile) ? (function (base) {
  // features per path: a canvas path costs more than its length beyond some dozens of features
  // (6,000 grids of a tile in Chromium: 80-100 ms drawn one by one, 50-57 ms by 16, 370-530 ms in one)
  var CHUNK = 16;
  function trace(ctx, layer, closed) {
    for (var i = 0; i < layer._parts.length; i++) {
      var part = layer._parts[i];
      for (var j = 0; j < part.length; j++) { ctx[j ? "lineTo" : "moveTo"](part[j].x, part[j].y); }
      if (closed) { ctx.closePath(); }
    }
  }
  function paint(ctx, groups, keys, fill) {
    keys.forEach(function (key) {
      var g = groups[key], o = g.options;
      if (fill ? !o.fill : !(o.stroke && o.weight !== 0)) { return; }
      if (fill) {
        ctx.globalAlpha = o.fillOpacity;
        ctx.fillStyle = o.fillColor || o.color;
      } else {
        if (ctx.setLineDash) { ctx.setLineDash(o._dashArray || []); }
        ctx.globalAlpha = o.opacity;
        ctx.lineWidth = o.weight;
        ctx.strokeStyle = o.color;
        ctx.lineCap = o.lineCap;
        ctx.lineJoin = o.lineJoin;
      }
      for (var start = 0; start < g.layers.length; start += CHUNK) {
        ctx.beginPath();
        g.layers.slice(start, start + CHUNK).forEach(function (layer) { trace(ctx, layer, g.closed); });
        if (fill) { ctx.fill(o.fillRule || "evenodd"); } else { ctx.stroke(); }
      }
    });
  }
  return base.extend({
    initialize: function () {
      base.prototype.initialize.apply(this, arguments);
      this._drawing = false;  // features are drawn together by _draw, not one by one as they are read
    },
    addTo: function (map) {  // VectorGrid calls it once all features of the tile are read
      this._map = map;
      this._redrawBounds = null;
      this._draw();
    },
    _onClick: function (e) {
      var point = this._map.mouseEventToLayerPoint(e).subtract(this.getOffset()), clicked = null;
      for (var id in this._layers) {
        var layer = this._layers[id];
        if (layer.options.interactive && layer._containsPoint(point) && !this._map._draggableMoved(layer)) {
          clicked = layer;
        }
      }
      this._fireEvent(clicked ? [clicked] : false, e);
    },
    _draw: function () {
      var bounds = this._redrawBounds, ctx = this._ctx, groups = {}, keys = [], others = [];
      ctx.save();
      if (bounds) {
        var size = bounds.getSize();
        ctx.beginPath();
        ctx.rect(bounds.min.x, bounds.min.y, size.x, size.y);
        ctx.clip();
      }
      this._drawing = true;
      for (var order = this._drawFirst; order; order = order.next) {
        var layer = order.layer;
        if (bounds && !(layer._pxBounds && layer._pxBounds.intersects(bounds))) { continue; }
        if (!(layer instanceof L.Polyline) || !layer._parts || !layer._parts.length) { others.push(layer); continue; }
        var o = layer.options, closed = layer instanceof L.Polygon;
        var key = [closed, o.fill, o.fillColor || o.color, o.fillOpacity, o.fillRule, o.stroke, o.weight, o.color,
                   o.opacity, String(o._dashArray || ""), o.lineCap, o.lineJoin].join("|");
        if (!groups[key]) { groups[key] = {options: o, closed: closed, layers: []}; keys.push(key); }
        groups[key].layers.push(layer);
      }
      paint(ctx, groups, keys, true);
      paint(ctx, groups, keys, false);
      others.forEach(function (layer) { layer._updatePath(); });
      this._drawing = false;
      ctx.restore();
    },
  });
})(L.Canvas.Tile) : null;

function gridappCanvasTile(coords, tileSize, options) {
  // VectorGrid's rendererFactory: (tile coords, tile size, layer options) → a renderer
  return new GridappCanvasTile(coords, tileSize, options);
}

function gridappTileLayer(map, url, layerName, styleFn, tooltipFn, bounds) {
  // A vector-tile layer of one MVT layer, canvas-drawn; a sticky tooltip built by tooltipFn(properties).
  // bounds (optional, [min_lon, min_lat, max_lon, max_lat]): the extent of the layer's features;
  // tiles outside it are not asked for (they would come back empty).
  var tip = null;
  if (!map.getPane("gridappTiles")) { map.createPane("gridappTiles").style.zIndex = 450; }  // above the areas
  // 512-pixel tiles: a quarter of the requests for the same view. Leaflet.VectorGrid puts the
  // map's tile zoom in {z} (it ignores zoomOffset), so the URL takes the MVT zoom from {tz}.
  var layer = L.vectorGrid.protobuf(url.replace("{z}", "{tz}"), {
    tz: function (data) { return Math.max(data.z - 1, 0); },
    rendererFactory: gridappCanvasTile, interactive: true, maxNativeZoom: 19, maxZoom: 19, pane: "gridappTiles",
    tileSize: 512,
    fetchOptions: {credentials: "same-origin"},
    bounds: bounds ? L.latLngBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]) : null,
    vectorTileLayerStyles: (function () { var s = {}; s[layerName] = styleFn; return s; })(),
  });
  layer.on("mouseover", function (e) {
    if (!tip) { tip = L.tooltip({sticky: true}); }
    tip.setContent(tooltipFn(e.layer.properties)).setLatLng(e.latlng);
    map.openTooltip(tip);
  });
  layer.on("mouseout", function () { if (tip) { map.closeTooltip(tip); } });
  map.on("mousemove", function (e) { if (tip && map.hasLayer(tip)) { tip.setLatLng(e.latlng); } });
  return layer;
}

function gridappMarkDrawn() {
  // "Drawn": the flag is set two animation frames after the grid layer finished (the frame
  // with the drawing has been painted); bench/map.py reads window.gridappMap.drawn_ms.
  requestAnimationFrame(function () {
    requestAnimationFrame(function () { window.gridappMap.drawn_ms = performance.now(); });
  });
}

function gridappBboxParam(map) {
  var b = map.getBounds();
  return [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90), Math.min(b.getEast(), 180),
          Math.min(b.getNorth(), 90)].map(function (v) { return v.toFixed(6); }).join(",");
}

function gridappWithParams(url, params) {
  return url + (url.indexOf("?") < 0 ? "?" : "&") + params;
}

function gridappServerClusters(map, cfg, drawPoint) {
  // Below cfg.cluster_max_zoom: clusters counted by the server in the view (cfg.clusters_url);
  // from it on: the view's incidents (cfg.points_url with bbox, ≤ 500), each drawn by drawPoint(feature).
  var group = L.layerGroup(), seq = 0;
  function refresh() {
    if (!map.hasLayer(group)) { return; }
    var z = Math.round(map.getZoom()), bbox = gridappBboxParam(map), my = ++seq;
    var points = z >= cfg.cluster_max_zoom;
    var url = points ? gridappWithParams(cfg.points_url, "bbox=" + bbox + "&per_page=500")
      : gridappWithParams(cfg.clusters_url, "bbox=" + bbox + "&zoom=" + z);
    gridappFetch(url).then(function (fc) {
      if (my !== seq) { return; }
      group.clearLayers();
      var total = 0;
      fc.features.forEach(function (f) {
        var c = f.geometry.coordinates;
        if (points) { group.addLayer(drawPoint(f)); return; }
        var n = f.properties.count, size = n < 100 ? 30 : (n < 10000 ? 40 : 50);
        var label = document.createElement("span");
        label.textContent = String(n);
        label.style.lineHeight = (size - 6) + "px";
        total += n;
        var marker = L.marker([c[1], c[0]], {icon: L.divIcon({html: label, iconSize: [size, size],
          className: "gridapp-server-cluster"})});
        marker.on("click", function () { map.setView([c[1], c[0]], Math.min(z + 2, cfg.cluster_max_zoom)); });
        group.addLayer(marker);
      });
      window.gridappMap.clusters = {zoom: z, mode: points ? "points" : "clusters", features: fc.features.length,
                                    total: points ? fc.numberReturned : total, matched: fc.numberMatched};
      group.fire("gridapp:loaded", {data: fc, points: points});
    }).catch(function (err) {
      window.gridappMap.error = String(err);
      gridappStatus(map, cfg.labels.load_failed + " " + String(err), true);
    });
  }
  group.on("add", refresh);
  map.on("moveend", refresh);
  return group;
}
