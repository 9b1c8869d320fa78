// The places layer (gridapp.maps.PlaceLayers): one overlay per place type, colour by status.
function gridappPlaceMap(map, cfg) {
  var styles = cfg.styles;  // status → {label, color}: gridapp/places/rules.py STATUS_COLOURS
  window.gridappPlaceMap = {ready: false, error: null, count: 0};
  var control = L.control.layers({}, {}, {collapsed: gridappFolded(map)}).addTo(map);
  var groups = {};
  gridappFetch(cfg.url)
    .then(function (fc) {
      var points = [];
      fc.features.forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties;
        if (!groups[p.type_name]) {
          groups[p.type_name] = L.layerGroup().addTo(map);
          control.addOverlay(groups[p.type_name], p.type_name);
        }
        var box = document.createElement("div");
        var a = document.createElement("a");
        a.href = cfg.place_url.replace(/\/0$/, "/" + p.id);
        a.textContent = p.name;
        var line = document.createElement("div");
        line.textContent = p.type_name + " · " + p.status_name;
        box.appendChild(a); box.appendChild(line);
        L.circleMarker([c[1], c[0]], {radius: 7, color: (styles[p.status] || {}).color || "#555", fillOpacity: 0.8,
                                      className: "place-" + p.status})
          .bindPopup(box).addTo(groups[p.type_name]);
        points.push([c[1], c[0]]);
      });
      if (points.length) { map.fitBounds(L.latLngBounds(points).pad(0.2)); }
      gridappLegend(map, Object.keys(styles).map(function (s) {
        return {label: styles[s].label, fill: styles[s].color, stroke: styles[s].color};
      }), cfg.legend);
      window.gridappPlaceMap.count = fc.features.length;
      window.gridappPlaceMap.ready = true;
      var status = document.getElementById("map-status");
      if (status) { status.textContent = cfg.shown.replace("{n}", fc.features.length); }
    })
    .catch(function (err) {
      window.gridappPlaceMap.error = String(err);
      var status = document.getElementById("map-status");
      if (status) { status.textContent = cfg.load_failed + " " + String(err); status.className += " error"; }
    });
}
