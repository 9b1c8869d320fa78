/* Base maps (issue 20; presets in gridapp/maps/basemaps.py): the preset's tile layers, and the map
   CRS of a GCJ-02 base map (AMap). Loaded before the map is made (folium writes crs: L.CRS.<name>).

   GCJ-02: the data stay WGS84 everywhere (API, database, forms); only the screen is shifted. The
   CRS projects a WGS84 point by shifting it to GCJ-02 first (gridappWgsToGcj), so every layer
   (GeoJSON, markers) lands where AMap's tiles draw that place, and unprojects a screen point back
   through the inverse (gridappGcjToWgs), so a click gives WGS84. The transform is the one of
   gridapp/geo/gcj02.py, line for line (a browser test compares them within 1 m). */
"use strict";

var GRIDAPP_GCJ_A = 6378245.0, GRIDAPP_GCJ_EE = 0.00669342162296594323;  // Krasovsky 1940

function gridappGcjOutOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function gridappGcjDelta(lon, lat) {
  // [dlon, dlat] in degrees at a WGS84 point (0, 0 outside China)
  if (gridappGcjOutOfChina(lon, lat)) { return [0, 0]; }
  var PI = Math.PI, x = lon - 105.0, y = lat - 35.0;
  var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) +
    (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0 +
    (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0 +
    (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
  var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) +
    (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0 +
    (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0 +
    (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
  var rad = lat / 180.0 * PI, magic = 1 - GRIDAPP_GCJ_EE * Math.sin(rad) * Math.sin(rad), sqrtMagic = Math.sqrt(magic);
  dlat = (dlat * 180.0) / ((GRIDAPP_GCJ_A * (1 - GRIDAPP_GCJ_EE)) / (magic * sqrtMagic) * PI);
  dlon = (dlon * 180.0) / (GRIDAPP_GCJ_A / sqrtMagic * Math.cos(rad) * PI);
  return [dlon, dlat];
}

function gridappWgsToGcj(latlng) {
  var d = gridappGcjDelta(latlng.lng, latlng.lat);
  return L.latLng(latlng.lat + d[1], latlng.lng + d[0]);
}

function gridappGcjToWgs(latlng) {
  // fixed-point inversion, 8 iterations (as gcj02_to_wgs84_xy)
  var lon = latlng.lng, lat = latlng.lat;
  for (var i = 0; i < 8; i++) {
    var d = gridappGcjDelta(lon, lat);
    lon -= lon + d[0] - latlng.lng;
    lat -= lat + d[1] - latlng.lat;
  }
  return L.latLng(lat, lon);
}

if (window.L && L.CRS && L.Projection) {
  L.CRS.GridappGcj02 = L.extend({}, L.CRS.EPSG3857, {
    code: "GRIDAPP:GCJ02",
    projection: {
      bounds: L.Projection.SphericalMercator.bounds,
      project: function (latlng) { return L.Projection.SphericalMercator.project(gridappWgsToGcj(L.latLng(latlng))); },
      unproject: function (point) { return gridappGcjToWgs(L.Projection.SphericalMercator.unproject(point)); },
    },
  });
}

function gridappBaseMap(map, cfg) {
  // cfg: {name, crs, layers: [{url, subdomains, attribution, kind, min_zoom, max_native_zoom, bounds}]}
  var state = window.gridappBase = {name: cfg.name, crs: cfg.crs, layers: []};
  cfg.layers.forEach(function (l, i) {
    var opts = {attribution: l.attribution, maxNativeZoom: l.max_native_zoom, maxZoom: 19, zIndex: i + 1,
                bounds: l.bounds ? L.latLngBounds([[l.bounds[1], l.bounds[0]], [l.bounds[3], l.bounds[2]]]) : undefined};
    if (l.subdomains) { opts.subdomains = l.subdomains; }
    if (l.min_zoom) { opts.minNativeZoom = l.min_zoom; }
    var layer = l.kind === "vector" ? L.vectorGrid.protobuf(l.url, L.extend(opts, {
      rendererFactory: L.canvas.tile, interactive: false, fetchOptions: {credentials: "same-origin"},
      vectorTileLayerStyles: {}})) : L.tileLayer(l.url, opts);
    layer.on("tileload", function () { state.loaded = (state.loaded || 0) + 1; });
    layer.on("tileerror", function () { state.failed = (state.failed || 0) + 1; });
    layer.addTo(map);
    state.layers.push(layer);
  });
}
