"""The incident map in Debian chromium, offline: clustered markers, heat-map toggle, filters."""
from __future__ import annotations

import pytest
from conftest import login, report_in_worker_grid  # tests/browser is on sys.path (pyproject: pythonpath)

pytestmark = pytest.mark.browser


def test_incident_map_clusters_and_heat(live_server, offline_page, app):
    report_in_worker_grid(app, 3, "地图测试（虚构）")
    page = offline_page.page
    login(page, live_server, "hongqi", "/cases/map%3Fcategory%3D0103")
    page.wait_for_function("() => window.gridappMap && (window.gridappMap.ready || window.gridappMap.error)")
    assert page.evaluate("window.gridappMap.error") is None
    counts = page.evaluate("window.gridappMap.counts")
    assert counts["shown"] == counts["matched"] >= 3
    assert page.locator(".marker-cluster").count() >= 1          # three points a metre apart: one cluster
    assert page.locator(".leaflet-heatmap-layer").count() == 0
    page.locator(".leaflet-control-layers label", has_text="热力图").locator("input").check()
    assert page.locator(".leaflet-heatmap-layer").count() == 1
    assert offline_page.errors == [] and offline_page.aborted == []
