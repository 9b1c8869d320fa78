/* Coverage check map layer: problems fetched from /api/v1/coverage-check; text via textContent only.
   The kinds, their order, labels and colours come from the server as cfg.styles
   (gridapp/coverage/rules.py CHECK_PROBLEMS). */
"use strict";

function gridappCoverageCheck(map, cfg) {
  var styles = cfg.styles;
  gridappFetch(cfg.url).then(function (report) {
    var layer = L.geoJSON(report.features, {
      style: function (f) {
        var st = styles[f.properties.kind];
        return {color: st.color, weight: 2, fillColor: st.color, fillOpacity: st.fillOpacity,
                className: "gridapp-problem gridapp-problem-" + f.properties.kind};
      },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 4}); },
    }).bindTooltip(function (l) {
      var p = l.feature.properties;
      var lines = [styles[p.kind].label, p.community_code];
      if (p.grid_a) { lines.push(p.grid_a + (p.grid_b ? " / " + p.grid_b : "")); }
      if (p.area_m2 !== null && p.area_m2 !== undefined) { lines.push(p.area_m2 + " m²"); }
      return gridappTooltip(lines);
    }).addTo(map);
    L.control.layers(null, (function () { var o = {}; o[cfg.labels.layer] = layer; return o; })()).addTo(map);
    gridappLegend(map, Object.keys(styles).map(function (k) {
      return {fill: styles[k].color, stroke: styles[k].color, label: styles[k].label};
    }), cfg.labels.layer);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); }
  }).catch(function (err) { gridappStatus(map, cfg.labels.load_failed + err.message, true); });
}
