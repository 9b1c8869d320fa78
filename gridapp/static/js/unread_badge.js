// The unread badge in the navigation (issue 22): short polling of /notifications/unread while the
// page is visible (every data-poll seconds, default 4); a hidden tab polls once when shown again.
(function () {
  "use strict";
  var badge = document.getElementById("unread-badge");
  if (!badge) { return; }
  var url = badge.getAttribute("data-url");
  var every = (parseInt(badge.getAttribute("data-poll"), 10) || 4) * 1000;
  var timer = null;
  function show(n) {
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = n === 0;
    badge.setAttribute("data-count", String(n));
    badge.setAttribute("data-polled", "1");
  }
  function poll() {
    fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && typeof body.unread === "number") { show(body.unread); } })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  function start() { if (timer === null) { poll(); timer = setInterval(poll, every); } }
  function stop() { if (timer !== null) { clearInterval(timer); timer = null; } }
  document.addEventListener("visibilitychange", function () { if (document.hidden) { stop(); } else { start(); } });
  if (!document.hidden) { start(); }
}());
