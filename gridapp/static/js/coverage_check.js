/* Coverage check map layer: problems fetched from /api/v1/coverage-check; text via textContent only. */
"use strict";

function gridappCoverageCheck(map, cfg) {
  var colours = {gap: "#e67e22", overlap: "#c0392b", outside: "#8e44ad", ungridded: "#7f8c8d"};
  gridappFetch(cfg.url).then(function (report) {
    var layer = L.geoJSON(report.features, {
      style: function (f) {
        var c = colours[f.properties.kind] || "#333";
        return {color: c, weight: 2, fillColor: c, fillOpacity: f.properties.kind === "ungridded" ? 0.15 : 0.6,
                className: "gridapp-problem gridapp-problem-" + f.properties.kind};
      },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 4}); },
    }).bindTooltip(function (l) {
      var p = l.feature.properties;
      var lines = [cfg.labels[p.kind] || p.kind, p.community_code];
      if (p.grid_a) { lines.push(p.grid_a + (p.grid_b ? " / " + p.grid_b : "")); }
      if (p.area_m2 !== null && p.area_m2 !== undefined) { lines.push(p.area_m2 + " m²"); }
      return gridappTooltip(lines);
    }).addTo(map);
    L.control.layers(null, (function () { var o = {}; o[cfg.labels.layer] = layer; return o; })()).addTo(map);
    gridappLegend(map, Object.keys(colours).map(function (k) {
      return {fill: colours[k], stroke: colours[k], label: cfg.labels[k]};
    }), cfg.labels.layer);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); }
  }).catch(function (err) { gridappStatus(map, cfg.labels.load_failed + err.message, true); });
}
