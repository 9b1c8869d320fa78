"""The coverage map in Debian chromium, offline: 261 grid shapes, no page error, no outside request."""
from __future__ import annotations

import pytest
from conftest import login_and_wait  # tests/browser is on sys.path (pyproject: pythonpath)

pytestmark = pytest.mark.browser


def test_coverage_map_offline_shows_261_grids(live_server, offline_page):
    page = offline_page.page
    login_and_wait(page, live_server, "district", "/map")
    assert page.url.endswith("/map")
    page.wait_for_function("() => window.gridappMap && (window.gridappMap.ready || window.gridappMap.error)")
    assert page.evaluate("window.gridappMap.error || null") is None
    assert page.locator("path.gridapp-grid").count() == 261
    assert page.locator("path.gridapp-community").count() == 46
    assert page.evaluate("window.gridappMap.counts") == {
        "district": 1, "township": 7, "community": 46, "grids": 261,
        "incidents": page.evaluate("window.gridappMap.counts.incidents")}
    assert "示意边界" in page.inner_text("#map-status")
    page.locator("path.gridapp-grid").first.hover(force=True)
    assert offline_page.errors == []
    assert offline_page.aborted == []


def test_worker_picks_a_point_on_the_map_and_reports(live_server, offline_page):
    page = offline_page.page
    login_and_wait(page, live_server, "worker", "/incidents/new")
    page.wait_for_function("() => window.gridappMap && window.gridappMap.ready")
    grid = page.locator("path.gridapp-grid")
    assert grid.count() == 1
    box = grid.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.input_value("input[name=lon]") != "" and page.input_value("input[name=lat]") != ""
    page.select_option("select[name=category_code]", "0102")
    page.fill("textarea[name=description]", "浏览器测试：垃圾堆积")
    page.click("form#incident-form button[type=submit]")  # queued on the device, sent, then the list (issue 19)
    page.wait_for_url("**/incidents")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/incidents"), page.inner_text("main")
    assert "610202002010001" in page.inner_text("table#incidents")
    assert offline_page.errors == []
    assert offline_page.aborted == []
