"""The coverage layer (issue 4) in Debian chromium, offline: uncovered grids shown, legend, no page error."""
from __future__ import annotations

import pytest
from conftest import login  # tests/browser is on sys.path (pyproject: pythonpath)

pytestmark = pytest.mark.browser


def _open_map_as_district(page, base):
    login(page, base, "district", "/map")


def test_coverage_layer_shows_the_uncovered_grids(live_server, offline_page):
    page = offline_page.page
    _open_map_as_district(page, live_server)
    page.wait_for_function("() => window.gridappMap && (window.gridappMap.coverage || window.gridappMap.error)")
    assert page.evaluate("window.gridappMap.error || null") is None
    counts = page.evaluate("window.gridappMap.coverage")
    assert counts == {"no_worker": 4, "worker_no_group": 5, "covered": 252}
    assert page.locator("path.gridapp-cov-no_worker").count() == 4
    assert page.locator("path.gridapp-cov-worker_no_group").count() == 5
    assert page.locator("path.gridapp-cov").count() == 261
    legend = page.locator(".gridapp-legend", has_text="网格覆盖").inner_text()
    assert "无网格员" in legend and "有网格员、无党小组" in legend and "(4)" in legend
    page.locator("path.gridapp-cov-no_worker").first.hover(force=True)
    assert offline_page.errors == []
    assert offline_page.aborted == []


def test_secretary_tree_and_grid_page_offline(live_server, offline_page):
    page = offline_page.page
    login(page, live_server, "hongqi", "/org")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/org/community/610202002010")
    assert page.locator("#org-tree li.group").count() >= 1
    page.locator("#org-tree a", has_text="610202002010001").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/org/grid/610202002010001")
    assert "****" in page.inner_text("table#members")
    assert offline_page.errors == []
    assert offline_page.aborted == []
