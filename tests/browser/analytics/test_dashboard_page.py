"""The district review dashboard in Debian chromium, offline: figures, charts, a layer switch and
a drill-down from the district to a township, with no page error and no console error."""
from __future__ import annotations

import pytest
from conftest import login  # tests/browser is on sys.path (pyproject: pythonpath)

pytestmark = pytest.mark.browser


def test_dashboard_switches_a_layer_and_drills_down(live_server, offline_page):
    page = offline_page.page
    login(page, live_server, "district", "/dashboard")
    page.wait_for_function("() => window.gridappDash && window.gridappDash.ready")
    dash = page.evaluate("window.gridappDash")
    assert dash["error"] is None and (dash["level"], dash["code"]) == ("district", "610202")
    assert dash["features"] == page.locator("path.dash-township").count() >= 2
    assert page.locator("#dash-figures tbody tr").count() >= 20
    assert page.locator("#dash-children tbody tr.drill").count() == dash["features"]
    assert page.locator("#chart-trend canvas").count() == 1       # ECharts served by the app
    assert page.locator("#dash-unit option").first.inner_text() == "按下级区域（街道/镇）"
    legend = page.locator(".choropleth-legend")
    assert "事件密度" in legend.inner_text()
    assert page.eval_on_selector(".choropleth-legend details", "d => d.open") is True  # a wide map: unfolded
    # switch the layer: overdue cases
    page.locator(".leaflet-control-layers label", has_text="逾期未办结案件").locator("input").check()
    page.wait_for_function("() => window.gridappDash.metric === 'overdue'")
    assert "逾期未办结案件" in page.locator(".choropleth-legend").inner_text()
    # folded by a click, the legend stays folded when another layer redraws it
    page.click(".choropleth-legend summary")
    page.locator(".leaflet-control-layers label", has_text="事件密度").locator("input").check()
    page.wait_for_function("() => window.gridappDash.metric === 'density'")
    assert page.eval_on_selector(".choropleth-legend details", "d => d.open") is False
    assert "事件密度" in page.locator(".choropleth-legend summary").inner_text()
    # drill down one level: click the township 红旗街街道 in the table
    page.locator("#dash-children a", has_text="红旗街街道").click()
    page.wait_for_function("() => window.gridappDash.ready && window.gridappDash.level === 'township'")
    assert page.evaluate("window.gridappDash.code") == "610202002"
    assert page.locator("path.dash-community").count() >= 2
    assert "红旗街街道" in page.locator("#dash-trail").inner_text()
    assert page.locator("#dash-xlsx").get_attribute("href").find("code=610202002") > 0
    # and a click on the map drills down again: a community of the township
    page.locator("path.dash-community").first.click(force=True)
    page.wait_for_function("() => window.gridappDash.ready && window.gridappDash.level === 'community'")
    assert page.evaluate("window.gridappDash.code").startswith("610202002")
    assert page.locator("path.dash-grid").count() >= 1
    assert offline_page.errors == [] and offline_page.aborted == []


def test_on_a_phone_the_legend_opens_folded(browser, live_server):
    """At 360 px the dashboard's map opens with its layer list and choropleth legend folded (they
    covered half of the map); a tap unfolds the legend."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", service_workers="block")
    page = context.new_page()
    try:
        login(page, live_server, "district", "/dashboard")
        page.wait_for_function("() => window.gridappDash && window.gridappDash.ready")
        assert page.locator(".leaflet-control-layers").count() == 1
        assert page.locator(".leaflet-control-layers-expanded").count() == 0
        assert page.eval_on_selector(".choropleth-legend details", "d => d.open") is False
        page.click(".choropleth-legend summary")
        assert page.eval_on_selector(".choropleth-legend details", "d => d.open") is True
        assert "0 –" in page.locator(".choropleth-legend").inner_text()
    finally:
        context.close()


def test_in_english_figures_are_named_as_counts(live_server, offline_page):
    """In English the dashboard names counted figures as counts (Reported, Filed: the message
    context "figure"), not as the actions of the same Chinese words, and writes English brackets."""
    page = offline_page.page
    login(page, live_server, "district", "/lang/en")
    page.goto(live_server + "/dashboard")
    page.wait_for_function("() => window.gridappDash && window.gridappDash.ready")
    labels = page.locator("#dash-figures tbody th, #dash-figures tbody td:first-child").all_inner_texts()
    assert "Reported" in labels and "Filed" in labels and "Report an incident" not in labels
    assert page.locator("#dash-unit option").first.inner_text() == "By the areas below (Township (street/town))"
