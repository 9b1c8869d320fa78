"""In Debian chromium, offline: the secretary sees the places layer, records an inspection of a
(fictitious demo) coal yard with a finding, issues a rectification notice, opens the printable
notice and records a failed re-inspection; the notice appears in her 我的待办 (to escalate)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import OfflinePage, login

pytestmark = pytest.mark.browser


def _login(browser, live_server, username: str) -> tuple:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = OfflinePage(context.new_page())
    login(page.page, live_server, username)
    page.page.wait_for_load_state("networkidle")
    return context, page


def test_record_inspection_with_finding_and_issue_notice(browser, live_server):
    context, wrapper = _login(browser, live_server, "hongqi")
    page = wrapper.page
    try:
        page.goto(f"{live_server}/places")
        page.wait_for_function("() => window.gridappPlaceMap && window.gridappPlaceMap.ready", timeout=15000)
        assert page.evaluate("() => window.gridappPlaceMap.count") >= 4
        assert page.locator("path.leaflet-interactive").count() >= 4  # circle markers of the places
        page.click("text=记录检查")
        page.locator("#place-select").select_option(label="测试煤场乙（演示）（煤场）")
        page.click("#pick")
        page.wait_for_load_state("networkidle")
        visit = page.locator("fieldset.visit")
        assert visit.count() == 1
        page.fill("#members", "张某，王某")
        page.fill("#vehicle_trips", "1")
        assert visit.locator("input[type=radio]:checked").count() == 0  # nothing answered by default
        page.locator("#kind").select_option("planned")
        visit.locator("fieldset.check-item").first.locator("input[value=fail]").check()  # 煤堆全覆盖: 不合格
        visit.locator("textarea[name^=findings]").fill("煤堆未全覆盖（演示）")
        page.click("#save-inspection")  # two items unanswered: the browser does not send the form
        assert page.evaluate("() => document.querySelector('#inspection-form').checkValidity()") is False
        assert "检查记录已保存" not in page.inner_text("main")
        for item in visit.locator("fieldset.check-item").all()[1:]:
            item.locator("input[value=pass]").check()
        visit.locator("input[name^=notice]").check()
        visit.locator("textarea[name^=requirements]").fill("三日内完成覆盖（演示）")
        due = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=3)).date().isoformat()
        visit.locator("input[name^=deadline]").fill(due)
        page.click("#save-inspection")
        page.wait_for_load_state("networkidle")
        assert "检查记录已保存" in page.inner_text("main"), page.inner_text("main")
        visits = page.inner_text("#visits")
        assert "煤堆全覆盖：不合格" in visits and "按时洒水降尘：合格" in visits and "✔" not in visits
        page.locator("#notices a").first.click()
        page.wait_for_load_state("networkidle")
        doc = page.inner_text("#notice-doc")
        assert "整改通知书" in doc and "三日内完成覆盖（演示）" in doc and "煤堆未全覆盖（演示）" in doc
        assert page.get_attribute("#notice-state", "data-state") == "issued"
        form = page.locator("form[data-action='reinspect']")
        form.locator("textarea[name=note]").fill("复查仍未覆盖（演示）")
        form.locator("button[value=false]").click()
        page.wait_for_load_state("networkidle")
        assert page.get_attribute("#notice-state", "data-state") == "failed"
        page.goto(f"{live_server}/tasks")  # her own actions are not notified to her: the notice is her work
        row = page.locator("#tasks tr[data-kind=notice]", has_text="测试煤场乙（演示）")
        assert row.count() == 1 and "升级处理" in row.inner_text()
        assert not wrapper.errors and not wrapper.aborted, (wrapper.errors, wrapper.aborted)
    finally:
        context.close()
