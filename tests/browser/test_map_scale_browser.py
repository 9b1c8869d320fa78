"""The map at city scale in Debian chromium, offline: grids drawn from vector tiles, and the
incident map showing server clusters with counts at zoom-out (thresholds lowered for the demo)."""
from __future__ import annotations

import pytest
from conftest import login  # tests/browser is on sys.path (pytest's prepend mode)

pytestmark = pytest.mark.browser



def test_tiles_and_server_clusters(app, live_server, offline_page):
    from sqlalchemy import func, select

    from gridapp.extensions import db
    from gridapp.models import Grid, User
    from gridapp.services import incidents

    with app.app_context():
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        point = func.ST_PointOnSurface(Grid.geom)
        lon, lat = db.session.execute(select(func.ST_X(point), func.ST_Y(point))
                                      .where(Grid.code == "610202002010001")).one()
        for i in range(2):
            incidents.report_incident(worker, "0103", f"聚合测试（虚构）{i}", lon + i * 1e-5, lat)
        db.session.remove()
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
