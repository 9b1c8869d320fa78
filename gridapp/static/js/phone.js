/* gridapp on a phone (issue 19), loaded by every page: the collapsible menu, lists as cards on
   narrow screens (each cell labelled with its column), the service worker (registered, then the
   worker's pages, the data they read and every asset of this page kept for offline use) and the
   待同步 badge of the outbox (static/js/outbox.js). Offline: nothing from another host. */
(function () {
  "use strict";
  var island = document.getElementById("phone-config");
  var cfg = island ? JSON.parse(island.textContent) : {};
  var phone = window.gridappPhone = {cfg: cfg, warmed: false};

  function menu() {
    var header = document.querySelector("header.top"), toggle = document.getElementById("nav-toggle");
    if (!header || !toggle) { return; }
    toggle.addEventListener("click", function () {
      var open = header.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function cards() {
    document.querySelectorAll("table.list").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.classList.add("cards-narrow");
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) {
          if (heads[i] && !td.hasAttribute("colspan") && !td.dataset.label) { td.dataset.label = heads[i]; }
        });
      });
    });
  }

  function cacheFor(url) {
    var path = new URL(url, location.href).pathname;
    if (path.indexOf("/static/") === 0) { return "gridapp-assets"; }
    if (path.indexOf("/api/") === 0) { return "gridapp-data"; }
    return "gridapp-pages";
  }

  var WARM_EVERY_MS = 10 * 60 * 1000;
  function warmKey() { return "gridapp-warm-" + cfg.user_id; }

  function warm() {
    // Keep the worker's pages and the data they read (at most every 10 minutes); on the first load,
    // before the service worker controlled the page, also this page and every asset it loaded
    // (afterwards the service worker keeps what the pages load).
    if (!window.caches || !navigator.onLine || !cfg.user_id) { return Promise.resolve(); }
    var urls = [];
    if (!navigator.serviceWorker.controller) {
      urls.push(location.pathname + location.search);
      performance.getEntriesByType("resource").forEach(function (entry) {
        var u = new URL(entry.name);
        var kept = u.pathname.indexOf("/static/") === 0 || (cfg.data_paths || []).indexOf(u.pathname) >= 0;
        if (u.origin === location.origin && kept) { urls.push(u.pathname + u.search); }
      });
    }
    var last = Number(localStorage.getItem(warmKey())) || 0;
    if (Date.now() - last > WARM_EVERY_MS) { urls = urls.concat(cfg.warm || []); }
    urls = urls.filter(function (u, i) { return urls.indexOf(u) === i && u.indexOf("/phone/") !== 0; });
    return Promise.all(urls.map(function (url) {
      return fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (response.status !== 200 || response.redirected) { return null; }
        return caches.open(cacheFor(url)).then(function (cache) { return cache.put(url, response); });
      }).catch(function () { return null; });
    })).then(function () { if (urls.length) { localStorage.setItem(warmKey(), String(Date.now())); } });
  }

  function serviceWorker() {
    if (!("serviceWorker" in navigator) || !cfg.sw) { return Promise.resolve(); }
    return navigator.serviceWorker.register(cfg.sw, {scope: "/"})
      .then(function () { return navigator.serviceWorker.ready; })
      .then(warm)
      .then(function () { phone.warmed = true; })
      .catch(function (err) { phone.error = String(err); });
  }

  function forgetOnLogout() {
    var logout = document.getElementById("logout");
    if (!logout || !logout.form) { return; }
    logout.form.addEventListener("submit", function () {
      // the pages and data kept are this user's: drop them (unsent reports stay, sent only by their author)
      if (window.caches) { ["gridapp-pages", "gridapp-data"].forEach(function (n) { caches.delete(n); }); }
      localStorage.removeItem(warmKey());
      if (window.gridappOutbox) { window.gridappOutbox.forgetToken(); }
    });
  }

  menu();
  cards();
  forgetOnLogout();
  phone.ready = serviceWorker();
  if (navigator.storage && navigator.storage.persist && cfg.user_id) {
    navigator.storage.persist().then(function (granted) { phone.persisted = granted; });
  }
})();
