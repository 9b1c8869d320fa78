"""One dispute through the UI in Debian chromium, offline: the community secretary registers it
with a point picked on the map, accepts it for mediation, records a session and closes it with
an agreement; the board's map layer then shows it by state and risk."""
from __future__ import annotations

import pytest
from conftest import OfflinePage, login

pytestmark = pytest.mark.browser


def _act(page, action: str, **fields):
    form = page.locator(f"form[data-action='{action}']")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "操作已完成" in page.inner_text("main"), page.inner_text("main")


def test_dispute_is_registered_mediated_and_closed_with_agreement(live_server, browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    wrapped = OfflinePage(context.new_page())
    page = wrapped.page
    login(page, live_server, "hongqi")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server}/disputes/new")
    page.wait_for_function("() => window.gridappMap && window.gridappMap.ready")
    grid = page.locator("path.gridapp-grid").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.input_value("#lon") and page.input_value("#lat")
    page.select_option("#type_code", "02")
    page.select_option("#source", "walk_in")
    page.fill("#summary", "浏览器测试：楼上漏水纠纷（虚构）")
    page.fill("input[name=party1_name]", "赵某某")
    page.fill("input[name=party1_phone]", "10099998888")
    page.fill("input[name=party2_name]", "钱某")
    page.select_option("#risk_level", "major")
    page.select_option("#difficulty", "simple")
    page.click("form#dispute-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("#dispute-state", "data-state") == "registered"
    parties = page.inner_text("#parties")
    assert "赵**" in parties and "100****8888" in parties and "10099998888" not in parties

    _act(page, "accept")
    _act(page, "session", held_on="2026-11-20", participants="赵某某、钱某、调解员", minutes="双方同意协商赔偿（虚构）")
    _act(page, "succeed", agreement="钱某赔偿维修费800元，十日内付清（虚构）", performance="performing")
    assert page.get_attribute("#dispute-state", "data-state") == "resolved"
    assert "钱某赔偿维修费" in page.inner_text("#dispute-agreement")
    assert "双方同意协商赔偿" in page.inner_text("#sessions")
    steps = [li.get_attribute("data-action") for li in page.locator("#timeline li").all()]
    assert steps == ["register", "accept", "session", "succeed"]
    dispute_url = page.url

    page.goto(f"{live_server}/disputes?risk_level=major&state=resolved")
    page.wait_for_function("() => window.gridappMap && window.gridappMap.ready")
    assert page.locator("path.dispute-resolved").count() >= 1
    # the legend's risk classes in ascending order (disputes/rules.py RISK_LEVELS), not sorted by key
    legend = page.locator(".gridapp-legend details > div").all_inner_texts()
    assert [t.strip() for t in legend[:3]] == ["一般", "较大", "重大"]
    assert page.locator(f"table#disputes a[href='{dispute_url.replace(live_server, '')}']").count() == 1
    assert wrapped.errors == [] and wrapped.aborted == []
    context.close()
