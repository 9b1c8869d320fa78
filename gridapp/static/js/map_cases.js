/* gridapp maps of cases and forms (loaded after map.js, whose helpers they use): one case's marker,
   the incident map (clusters and heat), the dispute map, and the report form's location helpers
   (device position, a photo's EXIF position). Offline: no asset from elsewhere. */
function gridappCaseMarker(map, cfg) {
  var marker = L.marker([cfg.lat, cfg.lon]).addTo(map);
  var tip = document.createElement("span");
  tip.textContent = cfg.label;
  marker.bindTooltip(tip);
  map.setView([cfg.lat, cfg.lon], 17);
  window.gridappMap = {ready: true, error: null, counts: {incidents: 1}};
}

function gridappGeolocate(buttonId, lonId, latId, labels) {
  var button = document.getElementById(buttonId);
  var status = document.getElementById(buttonId + "-status");
  if (!button) { return; }
  if (!navigator.geolocation) { button.disabled = true; status.textContent = labels.unsupported; return; }
  button.addEventListener("click", function () {
    status.textContent = labels.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lon = document.getElementById(lonId), lat = document.getElementById(latId);
      lon.value = pos.coords.longitude.toFixed(6);
      lat.value = pos.coords.latitude.toFixed(6);
      lon.dispatchEvent(new Event("change"));
      status.textContent = labels.done + " ±" + Math.round(pos.coords.accuracy) + " m";
    }, function (err) {
      status.textContent = labels.failed + " " + err.message;
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
}

function gridappPhotoGps(inputId, buttonId, lonId, latId, labels) {
  // Upload the first chosen photo to the server, which reads its EXIF GPS; offer it as the location.
  var input = document.getElementById(inputId), button = document.getElementById(buttonId);
  var status = document.getElementById(inputId + "-status");
  if (!input || !window.fetch || !window.FormData) { return; }
  input.addEventListener("change", function () {
    button.hidden = true;
    status.textContent = "";
    if (!input.files.length) { return; }
    var body = new FormData();
    body.append("file", input.files[0]);
    fetch(input.dataset.upload, {method: "POST", body: body, credentials: "same-origin",
                                 headers: {"X-CSRFToken": input.dataset.csrf}})
      .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, body: j}; }); })
      .then(function (res) {
        if (!res.ok) { status.textContent = labels.failed + " " + res.body.error.message; return; }
        var gps = res.body.gps;
        if (!gps) { status.textContent = labels.none; return; }
        button.textContent = labels.use + " (" + gps.lon.toFixed(6) + ", " + gps.lat.toFixed(6) + ")";
        button.hidden = false;
        button.onclick = function () {
          var lon = document.getElementById(lonId), lat = document.getElementById(latId);
          lon.value = gps.lon.toFixed(6);
          lat.value = gps.lat.toFixed(6);
          lon.dispatchEvent(new Event("change"));
        };
      })
      .catch(function (err) { status.textContent = labels.failed + " " + String(err); });
  });
}

function gridappIncidentMap(map, cfg) {
  // Clustered markers and a heat map of the incidents of cfg.url (a GeoJSON FeatureCollection).
  // More than cfg.max_points incidents in view: server clusters with counts below
  // cfg.cluster_max_zoom, the view's incidents from it on (map_scale.js).
  var L_ = cfg.labels;
  window.gridappMap = {ready: false, error: null, counts: {}};
  function popup(p) {
    var box = document.createElement("div");
    var a = document.createElement("a");
    a.href = cfg.case_url.replace(/\/0$/, "/" + p.id);
    a.textContent = "#" + p.id + " " + p.category_name;
    var line = document.createElement("div");
    line.textContent = (cfg.states[p.status] || p.status) + (p.overdue ? " · " + L_.overdue : "");
    box.appendChild(a); box.appendChild(line);
    return box;
  }
  function status(text) {
    var el = document.getElementById("map-status");
    if (el) { el.textContent = text; }
  }
  function serverClusters() {
    var layer = gridappServerClusters(map, {clusters_url: cfg.clusters_url, points_url: cfg.url,
      cluster_max_zoom: cfg.cluster_max_zoom, labels: L_}, function (f) {
      var c = f.geometry.coordinates;
      return L.marker([c[1], c[0]]).bindPopup(popup(f.properties));
    });
    layer.on("gridapp:loaded", function (e) {
      window.gridappMap.counts = {shown: e.data.features.length, matched: e.data.numberMatched};
      status(L_.shown.replace("{shown}", e.points ? e.data.features.length : e.data.numberMatched)
        .replace("{matched}", e.data.numberMatched));
      if (!window.gridappMap.ready) { window.gridappMap.ready = true; gridappMarkDrawn(); }
    });
    layer.addTo(map);
  }
  function clientClusters() {
    var clusters = L.markerClusterGroup({showCoverageOnHover: false});
    var heat = L.heatLayer([], {radius: 20, blur: 15, maxZoom: 17, gradient: cfg.heat_gradient});
    var stops = Object.keys(cfg.heat_gradient).sort();  // the legend: the same ramp (incidents/rules.py)
    gridappLegend(map, [{label: L_.heat_ramp, stroke: "#777", fill: "linear-gradient(to right, " +
      stops.map(function (s) { return cfg.heat_gradient[s] + " " + Math.round(s * 100) + "%"; }).join(", ") + ")"},
      {label: L_.cluster_count, stroke: "#6ecc39", fill: "#b5e2a0"}], L_.legend);
    clusters.addTo(map);
    // the heat layer's maxZoom scales its intensity; given to the layer control alone it would also
    // disable the heat switch above zoom 17 (a grid seen close up): the control gets a group holding it
    var heatGroup = L.layerGroup([heat]);
    L.control.layers({}, (function () { var o = {}; o[L_.clusters] = clusters; o[L_.heat] = heatGroup; return o; })(),
                     {collapsed: gridappFolded(map)}).addTo(map);
    return gridappFetch(cfg.url).then(function (fc) {
      var points = [];
      fc.features.forEach(function (f) {
        var c = f.geometry.coordinates;
        clusters.addLayer(L.marker([c[1], c[0]]).bindPopup(popup(f.properties)));
        points.push([c[1], c[0], 1]);
      });
      heat.setLatLngs(points);
      if (points.length) { map.fitBounds(L.latLngBounds(points.map(function (p) { return [p[0], p[1]]; })).pad(0.1)); }
      window.gridappMap.counts = {shown: fc.features.length, matched: fc.numberMatched};
      window.gridappMap.ready = true;
      gridappMarkDrawn();
      status(L_.shown.replace("{shown}", fc.features.length).replace("{matched}", fc.numberMatched));
    });
  }
  var start = cfg.clusters_url ? gridappFetch(gridappWithParams(cfg.clusters_url, "bbox=" + gridappBboxParam(map) +
    "&zoom=" + Math.round(map.getZoom()))).then(function (fc) {
      if (fc.numberMatched > cfg.max_points) { serverClusters(); return null; }
      return clientClusters();
    }) : clientClusters();
  start.catch(function (err) {
      window.gridappMap.error = String(err);
      var el = document.getElementById("map-status");
      if (el) { el.textContent = L_.load_failed + " " + String(err); el.className += " error"; }
    });
}

function gridappDisputeMap(map, cfg) {
  // Disputes of cfg.url (GeoJSON) as circle markers: fill colour by risk level, dashed outline
  // while open (registered/mediating), thick outline when flagged as liable to escalate.
  // classes and colours from gridapp/disputes/rules.py (RISK_COLOURS, OPEN_STATES) as data
  var styles = cfg.styles, colours = {};
  Object.keys(styles).forEach(function (k) { colours[k] = styles[k].fillColor; });
  window.gridappMap = {ready: false, error: null, counts: {}};
  gridappFetch(cfg.url)
    .then(function (fc) {
      var points = [];
      fc.features.forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties;
        var open = cfg.open_states.indexOf(p.status) >= 0;
        var box = document.createElement("div");
        var a = document.createElement("a");
        a.href = cfg.page_url.replace(/\/0$/, "/" + p.id);
        a.textContent = "#" + p.id + " " + p.type_name;
        var line = document.createElement("div");
        line.textContent = p.state_name + " · " + (cfg.risks[p.risk_level] || p.risk_level) +
          (p.escalation_risk ? " · " + cfg.labels.escalation : "") + (p.overdue ? " · " + cfg.labels.overdue : "");
        box.appendChild(a); box.appendChild(line);
        L.circleMarker([c[1], c[0]], {radius: 8, color: "#222", weight: p.escalation_risk ? 4 : 1,
                                      dashArray: open ? "3" : null, fillColor: colours[p.risk_level] || "#555",
                                      fillOpacity: open ? 0.9 : 0.4, className: "dispute-" + p.status})
          .bindPopup(box).addTo(map);
        points.push([c[1], c[0]]);
      });
      if (points.length) { map.fitBounds(L.latLngBounds(points).pad(0.1)); }
      gridappLegend(map, Object.keys(styles).map(function (k) {
        return {label: styles[k].label, fill: styles[k].fillColor, stroke: "#222"};
      }).concat([{label: cfg.labels.open, fill: "#ffffff", stroke: "#222"},
                 {label: cfg.labels.escalation, fill: "#ffffff", stroke: "#000"}]), cfg.labels.legend);
      window.gridappMap.counts = {shown: fc.features.length, matched: fc.numberMatched};
      window.gridappMap.ready = true;
    })
    .catch(function (err) {
      window.gridappMap.error = String(err);
      var status = document.getElementById("map-status");
      if (status) { status.textContent = cfg.labels.load_failed + " " + String(err); }
    });
}
