"""The coverage check map layer in Debian chromium, offline: the demo district's 26 ungridded villages."""
from __future__ import annotations

import pytest
from conftest import login_and_wait  # tests/browser is on sys.path (pyproject: pythonpath)

pytestmark = pytest.mark.browser


def test_coverage_check_layer_draws_the_ungridded_villages(live_server, offline_page):
    page = offline_page.page
    login_and_wait(page, live_server, "district", "/coverage-check")
    assert page.url.endswith("/coverage-check")
    page.wait_for_selector("path.gridapp-problem-ungridded")
    assert page.locator("path.gridapp-problem-ungridded").count() == 26
    assert page.locator("table#problems tr.problem-ungridded").count() == 26
    assert offline_page.errors == []
    assert offline_page.aborted == []
