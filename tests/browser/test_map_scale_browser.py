"""The map at city scale in Debian chromium, offline: grids drawn from vector tiles, and the
incident map showing server clusters with counts at zoom-out (thresholds lowered for the demo)."""
from __future__ import annotations

import pytest
from conftest import login, report_in_worker_grid  # tests/browser is on sys.path (pytest's prepend mode)

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
