/* gridapp service worker (issue 19): the worker's pages, the vendored assets and the data the
   pages read (grids, outlines) stay usable offline. Workbox from /static/vendor (no CDN).
   Pages and data: network first (fresh when online), the last copy when offline; assets: the
   cached copy at once, refreshed in the background. Writes (POST …) are never handled here: the
   page's outbox (static/js/outbox.js) keeps reports until the server has answered. */
importScripts.apply(self, {{ modules|tojson }});  // workbox.core, .routing, .strategies (production builds)

var PAGES = "gridapp-pages", DATA = "gridapp-data", ASSETS = "gridapp-assets";
var matchOptions = {ignoreVary: true};
var DATA_PATHS = {{ data_paths|tojson }};  // the outlines the report form and the maps read
var okOnly = {cacheWillUpdate: async function (args) {
  var r = args.response;
  return r && r.status === 200 && !r.redirected ? r : null;  // never keep the login page for a page
}};
var pagesOnly = {cacheWillUpdate: async function (args) {
  var r = args.response;  // HTML pages only: no download (export, printout) is kept
  return r && r.status === 200 && !r.redirected && (r.headers.get("Content-Type") || "").indexOf("text/html") === 0
    && !r.headers.get("Content-Disposition") ? r : null;
}};

workbox.routing.registerRoute(function (o) { return o.request.mode === "navigate"; },
  new workbox.strategies.NetworkFirst({cacheName: PAGES, networkTimeoutSeconds: 8, matchOptions: matchOptions,
                                       plugins: [pagesOnly]}));
workbox.routing.registerRoute(function (o) {
  return o.sameOrigin && o.url.pathname.indexOf("/static/") === 0;
}, new workbox.strategies.StaleWhileRevalidate({cacheName: ASSETS, matchOptions: matchOptions, plugins: [okOnly]}));
workbox.routing.registerRoute(function (o) {
  return o.sameOrigin && DATA_PATHS.indexOf(o.url.pathname) >= 0;
}, new workbox.strategies.NetworkFirst({cacheName: DATA, networkTimeoutSeconds: 8, matchOptions: matchOptions,
                                        plugins: [okOnly]}));

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
