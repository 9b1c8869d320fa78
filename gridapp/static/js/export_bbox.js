// Incident map: the export links carry the map's current view as bbox (min_lon,min_lat,max_lon,max_lat),
// so the file holds the incidents of the selection seen on the map (issue 23).
(function () {
  "use strict";
  function bind() {
    var el = document.querySelector(".folium-map");
    var map = el && window[el.id];
    if (!map || !map.getBounds) { return; }
    function update() {
      var b = map.getBounds();
      var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
      document.querySelectorAll("#export-links a").forEach(function (a) {
        var url = new URL(a.href, window.location.href);
        url.searchParams.set("bbox", box);
        a.href = url.toString();
      });
    }
    map.on("moveend", update);
    update();
  }
  if (document.readyState === "complete") { bind(); } else { window.addEventListener("load", bind); }
})();
