/* gridapp report form on the phone (issue 19; templates/incidents/incident_new.html): a report is
   checked on the device, put in the outbox (static/js/outbox.js) and sent from there — never lost
   when the connection is. The point's grid is found on the device from the cached outlines of the
   user's grids with the server's rule (gridapp/boundaries/locate.py: a grid covers its boundary;
   of several covering the point, the smallest code); a point outside them is refused before it is
   queued. A GPS fix worse than cfg.accuracy_warn_m asks for confirmation. Photos: EXIF position
   read first (exifr), then compressed to cfg.photo_max_side px JPEG (no EXIF left). */
function gridappReportForm(outbox, util) {
  "use strict";
  var phone = window.gridappPhone, cfg = phone.cfg, L_ = cfg.labels;
  var form = document.getElementById("incident-form");
  if (!form) { return; }
  var $ = function (name) { return form.querySelector("[name=" + name + "]"); };
  var category = $("category_code"), description = $("description"), lon = $("lon"), lat = $("lat");
  var photoInput = document.getElementById("photos"), where = document.getElementById("phone-location");
  var gps = null;            // the last device fix {lon, lat, accuracy} (its accuracy goes with the report)
  var editing = null;        // the draft being edited
  var grids = null;

  // ---- where the point is: the server's rule on the cached outlines ----
  function onSegment(px, py, ax, ay, bx, by) {
    var cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
    var scale = Math.max(Math.abs(bx - ax), Math.abs(by - ay), 1e-12);
    if (Math.abs(cross) > 1e-12 * scale) { return false; }
    return Math.min(ax, bx) - 1e-12 <= px && px <= Math.max(ax, bx) + 1e-12
      && Math.min(ay, by) - 1e-12 <= py && py <= Math.max(ay, by) + 1e-12;
  }
  function ringCovers(ring, x, y) {   // 1 inside, 0 outside, 2 on the boundary
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i], b = ring[j];
      if (onSegment(x, y, a[0], a[1], b[0], b[1])) { return 2; }
      if ((a[1] > y) !== (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0]) { inside = !inside; }
    }
    return inside ? 1 : 0;
  }
  function polygonCovers(rings, x, y) {
    var outer = ringCovers(rings[0], x, y);
    if (outer !== 1) { return outer === 2; }
    for (var k = 1; k < rings.length; k++) { if (ringCovers(rings[k], x, y) === 1) { return false; } }
    return true;  // on a hole's edge counts as covered (the boundary is the grid's)
  }
  function covers(geometry, x, y) {
    if (!geometry) { return false; }
    var polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polys.some(function (rings) { return polygonCovers(rings, x, y); });
  }
  function locate(x, y) {
    if (!grids) { return undefined; }
    var hits = grids.features.filter(function (f) { return covers(f.geometry, x, y); });
    hits.sort(function (a, b) { return a.properties.code < b.properties.code ? -1 : 1; });
    return hits.length ? hits[0].properties : null;
  }
  function loadGrids() {
    if (!cfg.locate_on_device) { return Promise.resolve(); }  // offices: the server locates (scopes may be large)
    return fetch(cfg.grids_url, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (g) { grids = g; showWhere(); }).catch(function () { showWhere(); });
  }
  function point() {
    var x = parseFloat(lon.value), y = parseFloat(lat.value);
    return isFinite(x) && isFinite(y) ? [x, y] : null;
  }
  function showWhere() {
    var p = point();
    where.classList.remove("error");
    if (!p) { where.textContent = ""; return undefined; }
    if (!cfg.locate_on_device) { where.textContent = ""; return undefined; }
    var grid = locate(p[0], p[1]);
    if (grid === undefined) { where.textContent = L_.no_grids; return undefined; }
    if (grid === null) { where.textContent = L_.outside; where.classList.add("error"); return null; }
    where.textContent = util.fmt(L_.in_grid, {grid: grid.name + " " + grid.code});
    return grid;
  }
  [lon, lat].forEach(function (el) {
    el.addEventListener("change", showWhere);
    el.addEventListener("input", showWhere);
  });
  // the map's point picker sets the inputs without an event on some paths: look again on each map click
  form.addEventListener("click", function () { setTimeout(showWhere, 0); });

  // ---- the device's position, with its accuracy ----
  var locateButton = document.getElementById("geolocate"), locateStatus = document.getElementById("geolocate-status");
  if (locateButton) {
    if (!navigator.geolocation) { locateButton.disabled = true; locateStatus.textContent = L_.unsupported; }
    locateButton.addEventListener("click", function () {
      locateStatus.textContent = L_.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        gps = {lon: pos.coords.longitude.toFixed(6), lat: pos.coords.latitude.toFixed(6),
               accuracy: Math.round(pos.coords.accuracy * 10) / 10};
        lon.value = gps.lon;
        lat.value = gps.lat;
        lon.dispatchEvent(new Event("change"));
        locateStatus.textContent = L_.located + " ±" + Math.round(gps.accuracy) + " m";
      }, function (err) {
        locateStatus.textContent = L_.locate_failed + " " + err.message;
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }
  function accuracy() {
    return gps && gps.lon === lon.value && gps.lat === lat.value ? gps.accuracy : null;
  }

  // ---- photos: EXIF position first, then compressed on the device ----
  var photoButton = document.getElementById("photo-gps"), photoStatus = document.getElementById("photos-status");
  if (photoInput) {
    photoInput.addEventListener("change", function () {
      photoButton.hidden = true;
      photoStatus.textContent = "";
      if (!photoInput.files.length || !window.exifr) { return; }
      exifr.gps(photoInput.files[0]).then(function (pos) {
        if (!pos || !isFinite(pos.longitude)) { photoStatus.textContent = L_.photo_no_gps; return; }
        var x = pos.longitude.toFixed(6), y = pos.latitude.toFixed(6);
        photoButton.textContent = L_.photo_gps + " (" + x + ", " + y + ")";
        photoButton.hidden = false;
        photoButton.onclick = function () {
          lon.value = x; lat.value = y;
          lon.dispatchEvent(new Event("change"));
        };
      }).catch(function () { photoStatus.textContent = L_.photo_no_gps; });
    });
  }
  function compress(file) {
    var max = cfg.photo_max_side;
    return createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bitmap) {
      var scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (!blob) { reject(new Error("toBlob")); return; }
          resolve({key: util.uuid(), blob: blob, name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg",
                   width: canvas.width, height: canvas.height, ref: null});
        }, "image/jpeg", 0.85);
      });
    });
  }

  // ---- queue ----
  function refuse(message) {
    util.status(message, true);
    return false;
  }
  function check() {
    if (!category.value) { return refuse(L_.need_category); }
    if (!description.value.trim()) { return refuse(L_.need_description); }
    if (!point()) { return refuse(L_.need_point); }
    var grid = showWhere();
    if (grid === null) { return refuse(L_.outside); }
    var acc = accuracy();
    if (acc !== null && acc > cfg.accuracy_warn_m
        && !window.confirm(util.fmt(L_.accuracy_confirm, {m: Math.round(acc), limit: cfg.accuracy_warn_m}))) {
      return false;
    }
    return grid || {};
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var grid = check();
    if (!grid) { return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var files = photoInput ? Array.prototype.slice.call(photoInput.files) : [];
    Promise.all(files.map(compress)).then(function (photos) {
      var p = point(), option = category.options[category.selectedIndex];
      var draft = editing || {id: util.uuid(), user_id: cfg.user_id, created_at: new Date().toISOString(), photos: []};
      draft.category_code = category.value;
      draft.category_label = option ? option.textContent : category.value;
      draft.description = description.value.trim();
      draft.lon = p[0];
      draft.lat = p[1];
      draft.accuracy_m = accuracy();
      draft.grid_code = grid.code || null;
      draft.photos = draft.photos.concat(photos);
      draft.state = "queued";
      draft.error = null;
      return util.save(draft).then(function () { return draft; });
    }).then(function (draft) {
      editing = null;
      description.value = "";
      if (photoInput) { photoInput.value = ""; }
      util.status(L_.saved_offline, false);
      return outbox.render().then(function () {
        if (!navigator.onLine) { return null; }
        return outbox.sync(false).then(function (sent) {
          var mine = sent.filter(function (s) { return s.id === draft.id; })[0];
          if (mine) { window.location.assign(cfg.list_url); }
        });
      });
    }).catch(function (err) {
      util.status(L_.photo_failed + " " + String(err), true);
    }).then(function () { button.disabled = false; });
  });

  // ---- edit / delete a queued report ----
  var list = document.getElementById("outbox-list");
  list.addEventListener("click", function (event) {
    var act = event.target.dataset.act, li = event.target.closest("li");
    if (!act || !li) { return; }
    outbox.drafts().then(function (all) {
      var draft = all.filter(function (d) { return d.id === li.dataset.id; })[0];
      if (!draft || li.classList.contains("sending")) { return null; }
      if (act === "delete") {
        if (!window.confirm(L_.delete_confirm)) { return null; }
        return util.remove(draft.id).then(outbox.render);
      }
      editing = draft;
      category.value = draft.category_code;
      description.value = draft.description;
      lon.value = draft.lon;
      lat.value = draft.lat;
      gps = draft.accuracy_m === null ? null : {lon: lon.value, lat: lat.value, accuracy: draft.accuracy_m};
      lon.dispatchEvent(new Event("change"));
      util.status(L_.editing + (draft.photos.length ? " · " + util.fmt(L_.photos_kept, {n: draft.photos.length}) : ""), false);
      form.scrollIntoView();
      return null;
    });
  });
  loadGrids();
}
