/* gridapp outbox (issue 19): reports made on the phone are kept on the device (IndexedDB, vendored
   idb) until the server has answered, several at once, editable or deletable until sent; sent
   when the connection returns (the online event), when any page of the app starts and by 立即发送.
   Each report and each photo carries its own Idempotency-Key (a UUID made on the device), so a
   retry after a lost answer never creates a second case. A refusal is kept with the server's
   reason on the report. On the report form: the point is checked against the user's cached grid
   outlines with the server's border rule before it is queued; photos are compressed on the
   device (longest side cfg.photo_max_side, JPEG, EXIF removed, orientation applied) after their
   EXIF position was read (vendored exifr). Needs static/js/phone.js first. */
(function () {
  "use strict";
  var phone = window.gridappPhone || {cfg: {}};
  var cfg = phone.cfg, L_ = cfg.labels || {};
  if (!window.idb || !window.indexedDB || !cfg.user_id) { return; }
  var dbp = idb.openDB("gridapp-phone", 1, {upgrade: function (db) {
    db.createObjectStore("drafts", {keyPath: "id"});
    db.createObjectStore("meta");
  }});

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_m, k) { return values[k]; });
  }

  function drafts() {
    return dbp.then(function (db) { return db.getAll("drafts"); }).then(function (all) {
      return all.filter(function (d) { return d.user_id === cfg.user_id; })
        .sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
    });
  }
  function save(draft) { return dbp.then(function (db) { return db.put("drafts", draft); }); }
  function remove(id) { return dbp.then(function (db) { return db.delete("drafts", id); }); }

  // ---- sending ----
  function csrf() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }
  function token(fresh) {
    return dbp.then(function (db) { return db.get("meta", "token"); }).then(function (t) {
      if (!fresh && t && t.user_id === cfg.user_id && Date.parse(t.expires_at) - Date.now() > 300000) { return t.token; }
      return fetch(cfg.token_url, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf()}})
        .then(function (r) {
          var json = (r.headers.get("Content-Type") || "").indexOf("json") >= 0;
          if (!r.ok || r.redirected || !json) { throw {final: false, auth: true, message: L_.relogin}; }
          return r.json();
        })
        .then(function (t2) {
          return dbp.then(function (db) { return db.put("meta", t2, "token"); }).then(function () { return t2.token; });
        });
    });
  }
  function forgetToken() { return dbp.then(function (db) { return db.delete("meta", "token"); }); }

  function answer(r) {
    return r.json().catch(function () { return {}; }).then(function (body) {
      if (r.status === 200 || r.status === 201) { return body; }
      var e = body.error || {};
      if (r.status === 401) { throw {final: false, auth: true, message: e.message || L_.relogin}; }
      // a refusal (4xx) is final until the report is edited; 5xx, 429: try again later
      throw {final: r.status >= 400 && r.status < 500 && r.status !== 429, status: r.status,
             code: e.code, field: e.field, message: e.message || String(r.status)};
    });
  }
  function post(url, key, tok, body, json) {
    var headers = {"Authorization": "Bearer " + tok, "Idempotency-Key": key};
    if (json) { headers["Content-Type"] = "application/json"; }
    return fetch(url, {method: "POST", headers: headers, body: json ? JSON.stringify(body) : body, credentials: "omit"})
      .catch(function () { throw {final: false, network: true, message: L_.network}; })
      .then(answer);
  }
  function sendOne(draft, tok) {
    var chain = Promise.resolve();
    draft.photos.forEach(function (p) {
      chain = chain.then(function () {
        if (p.ref) { return null; }
        var form = new FormData();
        form.append("file", p.blob, p.name);
        return post(cfg.photos_url, p.key, tok, form, false).then(function (res) { p.ref = res.ref; return save(draft); });
      });
    });
    return chain.then(function () {
      var body = {category_code: draft.category_code, description: draft.description, lon: draft.lon, lat: draft.lat,
                  photos: draft.photos.map(function (p) { return p.ref; })};
      if (draft.accuracy_m !== null && draft.accuracy_m !== undefined) { body.accuracy_m = draft.accuracy_m; }
      return post(cfg.incidents_url, draft.id, tok, body, true);
    });
  }

  function sendDraft(draft, ctx) {
    // one report: sent (then removed from the device), refused (kept with the server's reason,
    // final until edited) or not reached (kept queued; a network or login failure stops the round)
    return sendOne(draft, ctx.tok).catch(function (err) {
      if (!err || !err.auth) { throw err; }
      return token(true).then(function (t) { ctx.tok = t; return sendOne(draft, t); });
    }).then(function (res) {
      ctx.sent.push({id: draft.id, incident: res});
      return remove(draft.id).then(function () { return ctx; });
    }, function (err) {
      err = err && err.message ? err : {final: false, message: String(err)};
      draft.state = err.final ? "failed" : "queued";
      draft.error = {message: err.message, code: err.code || null, field: err.field || null};
      return save(draft).then(function () { if (err.network || err.auth) { ctx.stop = true; } return ctx; });
    });
  }

  var running = null;
  function sync(includeFailed) {
    if (running) { return running; }
    var sent = [];
    running = drafts().then(function (list) {
      var todo = list.filter(function (d) { return includeFailed || d.state !== "failed"; });
      if (!todo.length) { return sent; }
      var chain = token(false).then(function (t) { return {tok: t, sent: sent}; });
      todo.forEach(function (listed) {
        chain = chain.then(function (ctx) {
          if (ctx.stop) { return ctx; }
          // read again: it may have been edited or deleted while the reports before it were sent
          return dbp.then(function (db) { return db.get("drafts", listed.id); }).then(function (draft) {
            if (!draft || (!includeFailed && draft.state === "failed")) { return ctx; }
            draft.state = "sending";
            return save(draft).then(render).then(function () { return sendDraft(draft, ctx); });
          });
        });
      });
      return chain.then(function () { return sent; });
    }).catch(function (err) {
      status((err && err.message) || String(err));
      return sent;
    }).then(function (result) {
      running = null;
      render();
      return result;
    });
    return running;
  }

  // ---- the badge, the list ----
  function render() {
    return drafts().then(function (list) {
      document.querySelectorAll("[data-outbox-count]").forEach(function (el) {
        el.textContent = String(list.length);
        el.hidden = !list.length && el.classList.contains("badge");
      });
      var nav = document.querySelector("header.top a[data-outbox-badge]");
      if (nav) {
        var badge = nav.querySelector(".badge") || nav.appendChild(document.createElement("span"));
        badge.className = "badge";
        badge.title = L_.queued;
        badge.textContent = String(list.length);
        badge.hidden = !list.length;
      }
      var ul = document.getElementById("outbox-list");
      if (!ul) { return list; }
      ul.textContent = "";
      if (!list.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = L_.empty;
        ul.appendChild(none);
      }
      list.forEach(function (d) {
        if (d.state === "sending" && !running) { d.state = "queued"; }  // a send cut off by closing the page
        var li = document.createElement("li");
        li.className = "outbox-item " + d.state;
        li.dataset.id = d.id;
        var title = document.createElement("div");
        title.className = "outbox-title";
        title.textContent = (d.category_label || d.category_code) + " · " + d.description;
        var meta = document.createElement("div");
        meta.className = "muted";
        meta.textContent = new Date(d.created_at).toLocaleString() + (d.grid_code ? " · " + d.grid_code : "")
          + (d.photos.length ? " · 📷" + d.photos.length : "") + (d.state === "sending" ? " · " + L_.sending : "");
        li.appendChild(title);
        li.appendChild(meta);
        if (d.error) {
          var err = document.createElement("div");
          err.className = "outbox-error";
          err.textContent = (d.state === "failed" ? L_.refused + " " : "") + d.error.message;
          li.appendChild(err);
        }
        if (d.state !== "sending") {
          var actions = document.createElement("div");
          actions.className = "outbox-actions";
          [["edit", L_.edit], ["delete", L_.delete]].forEach(function (a) {
            var b = document.createElement("button");
            b.type = "button";
            b.dataset.act = a[0];
            b.textContent = a[1];
            actions.appendChild(b);
          });
          li.appendChild(actions);
        }
        ul.appendChild(li);
      });
      return list;
    });
  }
  function status(text, isError) {
    var el = document.getElementById("outbox-status");
    if (el) { el.textContent = text; el.classList.toggle("error", !!isError); }
  }

  window.gridappOutbox = {drafts: drafts, sync: sync, render: render, forgetToken: forgetToken};
  window.addEventListener("online", function () { sync(false); });
  document.addEventListener("DOMContentLoaded", function () {
    render();
    var now = document.getElementById("outbox-send");
    if (now) { now.addEventListener("click", function () { sync(true); }); }
    if (navigator.onLine) { window.gridappOutbox.started = sync(false); }
    if (window.gridappReportForm) { window.gridappReportForm(window.gridappOutbox, {save: save, remove: remove, uuid: uuid, fmt: fmt, status: status}); }
  });
})();
