"""The map at city scale in Debian chromium, offline: grids drawn from vector tiles, and the
incident map showing server clusters with counts at zoom-out (thresholds lowered for the demo)."""
from __future__ import annotations

import pytest
from conftest import login, report_in_worker_grid  # tests/browser is on sys.path (pyproject: pythonpath)

pytestmark = pytest.mark.browser


def test_tiles_and_server_clusters(app, live_server, offline_page):
    report_in_worker_grid(app, 2, "聚合测试（虚构）")
    app.config.update(MAP_TILE_MIN_GRIDS=1, MAP_MAX_POINTS=0)
    try:
        page = offline_page.page
        login(page, live_server, "district", "/map")
        page.wait_for_function("() => window.gridappMap && (window.gridappMap.drawn_ms || window.gridappMap.error)")
        assert page.evaluate("window.gridappMap.error || null") is None
        assert page.evaluate("window.gridappMap.counts.grids") == 261
        assert page.locator(".leaflet-gridappTiles-pane canvas").count() >= 1
        # the tiles are painted (each style's features drawn together, map_scale.js): pixels in the
        # coverage colours (fill #e74c3c no worker, #f5b041 worker without group, #58d68d covered)
        painted = page.evaluate("""() => {
          var n = 0, colours = {};
          document.querySelectorAll('.leaflet-gridappTiles-pane canvas').forEach(function (c) {
            var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (var i = 0; i < d.length; i += 4) {
              if (d[i + 3]) { n += 1; colours[(d[i] >> 5) + ',' + (d[i + 1] >> 5) + ',' + (d[i + 2] >> 5)] = 1; }
            }
          });
          return {n: n, colours: Object.keys(colours).length};
        }""")
        assert painted["n"] > 10000 and painted["colours"] >= 3
        # a grid under the pointer shows its tooltip (hit-testing of the drawn features)
        box = page.locator(".folium-map").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.move(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2 + 3)
        page.wait_for_selector(".leaflet-tooltip")
        assert "6102" in page.locator(".leaflet-tooltip").inner_text()
        # the report form at city scale: grid tiles, and a click on a grid still picks the point
        page.goto(f"{live_server}/incidents/new")
        page.wait_for_function("() => window.gridappMap && (window.gridappMap.drawn_ms || window.gridappMap.error)")
        assert page.evaluate("window.gridappMap.error || null") is None
        page.locator(".folium-map").click(position={"x": 200, "y": 150})
        assert page.input_value("input[name=lon]") != "" and page.input_value("input[name=lat]") != ""
        page.goto(f"{live_server}/cases/map")
        page.wait_for_function("() => window.gridappMap && (window.gridappMap.ready || window.gridappMap.error)")
        assert page.evaluate("window.gridappMap.error") is None
        clusters = page.locator(".gridapp-server-cluster")
        assert clusters.count() >= 1
        total = sum(int(t) for t in clusters.all_inner_texts())
        assert total == page.evaluate("window.gridappMap.counts.matched") >= 2
    finally:
        app.config.update(MAP_TILE_MIN_GRIDS=2000, MAP_MAX_POINTS=500)
    assert offline_page.errors == [] and offline_page.aborted == []
