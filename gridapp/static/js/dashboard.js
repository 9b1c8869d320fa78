// District review dashboard (gridapp.maps.DashboardLayers, templates/dashboard.html).
// Figures from GET /api/v1/dashboard, choropleths from GET /api/v1/dashboard/areas; every text
// from the server is inserted with textContent. Needs map.js (gridappFetch, gridappStatus),
// Leaflet and ECharts (vendored). window.gridappDash reports state for the browser tests.
function gridappDashboard(map, cfg) {
  var L_ = cfg.labels;
  var state = {level: cfg.state.level, code: cfg.state.code, from: cfg.state.from, to: cfg.state.to,
               metric: "density", unit: "child"};
  var dash = window.gridappDash = {ready: false, error: null, loads: 0, level: state.level, code: state.code,
                                   metric: state.metric, features: 0};
  var METRICS = ["density", "overdue", "gap", "disputes"];
  var RAMPS = cfg.ramps;  // gridapp/analytics/rules.py CHOROPLETH_RAMPS
  var layers = {}, control = null, legend = null, legendOpen = null, charts = {};
  map.attributionControl.setPrefix("Leaflet");

  function q(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== null && params[k] !== undefined && params[k] !== ""; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }
  function areaParams() { return {level: state.level, code: state.code, from: state.from, to: state.to}; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function pick(obj, path) {
    return path.split(".").reduce(function (o, k) { return o === null || o === undefined ? null : o[k]; }, obj);
  }
  function fmt(v, kind) {
    if (v === null || v === undefined) { return "—"; }
    if (kind === "rate") { return (v * 100).toFixed(1) + "%"; }
    return String(v);
  }
  function status(text, isError) {
    var s = document.getElementById("dash-status");
    if (s) { s.textContent = text; s.className = isError ? "map-status error" : "map-status"; }
  }

  // --- figures with the previous period ---------------------------------------------------------
  function renderFigures(data) {
    var table = document.getElementById("dash-figures");
    table.replaceChildren();
    var head = el("tr");
    [L_.figure, L_.current, L_.previous, L_.change].forEach(function (t, i) { head.appendChild(el("th", t, i ? "num" : "")); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var body = el("tbody");
    cfg.metrics.forEach(function (m) {
      var sec = data[m.section];
      var cur = pick(sec.current ? sec.current : sec, m.path);
      var prev = sec.previous ? pick(sec.previous, m.path) : null;
      var tr = el("tr");
      tr.dataset.metric = m.section + "." + m.path;
      tr.appendChild(el("th", m.label));
      tr.appendChild(el("td", fmt(cur, m.kind), "num cur"));
      tr.appendChild(el("td", fmt(prev, m.kind), "num prev"));
      var change = "";
      var cls = "num";
      if (cur !== null && prev !== null && cur !== undefined && prev !== undefined) {
        var d = cur - prev;
        change = m.kind === "rate" ? (d * 100).toFixed(1) + " pp" : (Math.round(d * 100) / 100).toString();
        if (d > 0) { change = "+" + change; cls += " up"; } else if (d < 0) { cls += " down"; }
      }
      tr.appendChild(el("td", change, cls));
      body.appendChild(tr);
    });
    table.appendChild(body);
    var p = data.period;
    document.getElementById("dash-previous").textContent = L_.previous + " " + p.previous_from + " – " + p.previous_to;
  }

  // --- breadcrumb, per-area table ----------------------------------------------------------------
  function renderTrail(data) {
    var nav = document.getElementById("dash-trail");
    nav.replaceChildren();
    data.trail.forEach(function (t, i) {
      if (i) { nav.appendChild(el("span", "›", "sep")); }
      if (i < data.trail.length - 1) {
        var a = el("a", t.name || t.code);
        a.href = "#";
        a.dataset.level = t.level; a.dataset.code = t.code;
        a.addEventListener("click", function (ev) { ev.preventDefault(); drill(t.level, t.code); });
        nav.appendChild(a);
      } else {
        nav.appendChild(el("strong", t.name || t.code));
      }
    });
  }
  function cell(row, key) {
    var c = row.coverage, k = row.kpi, d = row.disputes, grid = c.status !== undefined;
    switch (key) {
      case "grids": return grid ? 1 : c.grids;
      case "gap": return row.gap;
      case "workers": return c.workers;
      case "groups": return grid ? (c.build_type ? (c.build_type === "single" ? L_.single : L_.joint) : "—")
                                : c.groups + " (" + c.groups_single + "/" + c.groups_joint + ")";
      case "members": return c.members;
      case "reported": return k ? k.counts.reported : 0;
      case "overdue": return k ? k.overdue : 0;
      case "closing_rate": return fmt(k ? k.rates.closing_rate : null, "rate");
      case "on_time_closing_rate": return fmt(k ? k.rates.on_time_closing_rate : null, "rate");
      case "disputes": return d ? d.counts.registered : 0;
      case "resolution_rate": return fmt(d ? d.resolution_rate : null, "rate");
    }
    return "";
  }
  function renderChildren(data) {
    var table = document.getElementById("dash-children");
    table.replaceChildren();
    var title = document.getElementById("dash-children-title");
    if (data.child_level) { title.textContent = L_["level_" + data.child_level] + " · " + (data.name || data.code); }
    var head = el("tr");
    cfg.columns.forEach(function (col) { head.appendChild(el("th", col.label, col.key === "name" ? "" : "num")); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var body = el("tbody");
    data.children.forEach(function (row) {
      var tr = el("tr", null, "drill");
      tr.dataset.code = row.code;
      cfg.columns.forEach(function (col) {
        if (col.key === "name") {
          var td = el("td"); var a = el("a", row.name || row.code); a.href = "#";
          a.addEventListener("click", function (ev) { ev.preventDefault(); drill(data.child_level, row.code); });
          td.appendChild(a); tr.appendChild(td);
        } else {
          tr.appendChild(el("td", cell(row, col.key), "num"));
        }
      });
      body.appendChild(tr);
    });
    if (!data.children.length) {
      var tr = el("tr"); var td = el("td", L_.no_data); td.colSpan = cfg.columns.length; tr.appendChild(td); body.appendChild(tr);
    }
    table.appendChild(body);
  }

  // --- charts (ECharts, canvas; tooltips as rich text, no HTML) ---------------------------------
  function chart(id) {
    var node = document.getElementById(id);
    if (!node || typeof echarts === "undefined") { return null; }
    if (!charts[id]) { charts[id] = echarts.init(node, null, {renderer: "canvas"}); }
    return charts[id];
  }
  function renderCharts(data) {
    var c = data.charts;
    var keys = {};
    c.trend.incidents.forEach(function (g) { keys[g.code] = true; });
    c.trend.disputes.forEach(function (g) { keys[g.code] = true; });
    var x = Object.keys(keys).sort();
    var inc = {}, dis = {};
    c.trend.incidents.forEach(function (g) { inc[g.code] = g; });
    c.trend.disputes.forEach(function (g) { dis[g.code] = g; });
    var base = {tooltip: {trigger: "axis", renderMode: "richText"}, grid: {left: 48, right: 16, top: 36, bottom: 56},
                legend: {top: 0}, animation: false};
    var trend = chart("chart-trend");
    if (trend) {
      trend.setOption(Object.assign({}, base, {
        xAxis: {type: "category", data: x}, yAxis: {type: "value", minInterval: 1},
        series: [{name: L_.reported, type: "line", data: x.map(function (k) { return inc[k] ? inc[k].counts.reported : 0; })},
                 {name: L_.closed, type: "line", data: x.map(function (k) { return inc[k] ? inc[k].counts.closed : 0; })},
                 {name: L_.dispute_registered, type: "line", data: x.map(function (k) { return dis[k] ? dis[k].counts.registered : 0; })}]
      }), true);
    }
    var cats = c.by_category.slice().sort(function (a, b) { return b.counts.reported - a.counts.reported; }).slice(0, 10).reverse();
    var cat = chart("chart-category");
    if (cat) {
      cat.setOption(Object.assign({}, base, {
        grid: {left: 120, right: 16, top: 36, bottom: 24},
        xAxis: {type: "value", minInterval: 1}, yAxis: {type: "category", data: cats.map(function (g) { return g.name || g.code; })},
        series: [{name: L_.reported, type: "bar", data: cats.map(function (g) { return g.counts.reported; })}]
      }), true);
    }
    var com = chart("chart-community");
    if (com) {
      var rows = c.by_community;
      com.setOption(Object.assign({}, base, {
        xAxis: {type: "category", data: rows.map(function (g) { return g.name || g.code; }), axisLabel: {rotate: 30}},
        yAxis: {type: "value", minInterval: 1},
        series: [{name: L_.reported, type: "bar", data: rows.map(function (g) { return g.counts.reported; })},
                 {name: L_.overdue, type: "bar", data: rows.map(function (g) { return g.overdue; })}]
      }), true);
    }
  }

  // --- choropleths ---------------------------------------------------------------------------------
  function breaks(values) {
    var v = values.filter(function (n) { return n !== null && n !== undefined; }).sort(function (a, b) { return a - b; });
    var max = v.length ? v[v.length - 1] : 0;
    if (!max) { return [0, 0, 0, 0]; }
    var out = [];
    for (var i = 1; i < 5; i++) { out.push(Math.round(max * i / 5 * 100) / 100); }
    return out;
  }
  function classOf(value, b) {
    if (!value) { return 0; }
    for (var i = 0; i < b.length; i++) { if (value <= b[i]) { return i; } }
    return 4;
  }
  function showLegend(metric, b) {
    if (legend) { map.removeControl(legend); }
    var lows = [0].concat(b);
    // the maps' legend (map.js): folded on a phone; the user's choice holds when another layer redraws it
    legend = gridappLegend(map, RAMPS[metric].map(function (colour, i) {
      return {label: i === 0 ? "0 – " + b[0] : (i === 4 ? "> " + lows[4] : lows[i] + " – " + b[i]),
              fill: colour, stroke: "#777"};
    }), L_[metric], {className: "choropleth-legend", open: legendOpen,
                     onToggle: function (open) { legendOpen = open; }});
  }
  function tooltip(p) {
    var box = el("div");
    box.appendChild(el("strong", p.name || p.code));
    [["density", p.density], ["overdue", p.overdue], ["gap", p.gap], ["disputes", p.disputes],
     ["km2", p.area_km2]].forEach(function (pair) { box.appendChild(el("div", L_[pair[0]] + L_.colon + fmt(pair[1]))); });
    return box;
  }
  function renderLayers(fc) {
    if (control) { map.removeControl(control); }
    METRICS.forEach(function (m) { if (layers[m]) { map.removeLayer(layers[m]); } });
    control = L.control.layers({}, {}, {collapsed: gridappFolded(map)}).addTo(map);
    var bks = {};
    METRICS.forEach(function (metric) {
      var b = bks[metric] = breaks(fc.features.map(function (f) { return f.properties[metric]; }));
      layers[metric] = L.geoJSON(fc, {
        style: function (f) {
          return {color: "#555", weight: 1, fillOpacity: 0.75, fillColor: RAMPS[metric][classOf(f.properties[metric], b)],
                  className: "dash-area dash-" + f.properties.level};
        },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(tooltip(f.properties), {sticky: true});
          layer.on("click", function () { drill(f.properties.level, f.properties.code); });
        }
      });
      control.addBaseLayer(layers[metric], L_[metric]);
    });
    layers[state.metric].addTo(map);
    showLegend(state.metric, bks[state.metric]);
    map.off("baselayerchange");
    map.on("baselayerchange", function (ev) {
      METRICS.forEach(function (m) {
        if (layers[m] === ev.layer) { state.metric = dash.metric = m; showLegend(m, bks[m]); }
      });
    });
    if (fc.features.length) { map.fitBounds(layers[state.metric].getBounds().pad(0.05)); }
    dash.features = fc.features.length;
  }

  function renderUnit(data) {
    var sel = document.getElementById("dash-unit");
    if (!sel) { return; }
    sel.replaceChildren();
    if (!data.child_level) { sel.disabled = true; return; }
    sel.disabled = false;
    var opts = [["child", L_.unit_child + L_.lp + L_["level_" + data.child_level] + L_.rp]];
    if (data.child_level !== "grid") { opts.push(["grid", L_.unit_grid]); }
    opts.forEach(function (o) {
      var opt = el("option", o[1]); opt.value = o[0]; opt.selected = o[0] === state.unit; sel.appendChild(opt);
    });
  }

  function links() {
    var query = q(areaParams());
    document.getElementById("dash-xlsx").href = cfg.urls.xlsx + "?" + query;
    document.getElementById("dash-csv").href = cfg.urls.csv + "?" + query;
    document.getElementById("dash-print").href = cfg.urls.print + "?" + query;
  }

  function load() {
    dash.ready = false;
    status("…");
    links();
    var params = areaParams();
    var summary = gridappFetch(cfg.urls.summary + "?" + q(params));
    var layerParams = Object.assign({}, params);
    if (state.unit === "grid") { layerParams.by = "grid"; }
    var areas = state.level === "grid" ? Promise.resolve(null) : gridappFetch(cfg.urls.areas + "?" + q(layerParams));
    return Promise.all([summary, areas]).then(function (res) {
      var data = res[0];
      renderTrail(data); renderFigures(data); renderChildren(data); renderUnit(data); renderCharts(data);
      if (res[1]) { renderLayers(res[1]); }
      status(L_.drill_hint);
      dash.level = state.level; dash.code = state.code; dash.loads += 1; dash.error = null; dash.ready = true;
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", window.location.pathname + "?" + q(params));
      }
    }).catch(function (err) {
      dash.error = String(err);
      dash.ready = true;
      status(L_.load_failed + " " + String(err), true);
    });
  }

  function drill(level, code) {
    if (!level || !code) { return; }
    state.level = level; state.code = code; state.unit = "child";
    load();
  }

  document.getElementById("dash-period").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    state.from = f.elements.from.value; state.to = f.elements.to.value;
    load();
  });
  var unitSel = document.getElementById("dash-unit");
  if (unitSel) { unitSel.addEventListener("change", function () { state.unit = unitSel.value; load(); }); }
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  dash.drill = drill;
  load();
}
