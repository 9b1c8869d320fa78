"""One case through the UI in Debian chromium, offline: a grid worker reports it, the secretary
accepts, files and dispatches it, the department's handler starts and handles it, the grid
worker verifies it and it is closed. The handler's unread badge rises within 5 s of the dispatch."""
from __future__ import annotations

import re

import pytest
from conftest import OfflinePage, login

pytestmark = pytest.mark.browser


@pytest.fixture
def as_user(browser, live_server):
    contexts = []

    def _as(username: str) -> OfflinePage:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(context)
        page = OfflinePage(context.new_page())
        login(page.page, live_server, username)
        page.page.wait_for_load_state("networkidle")
        return page

    yield _as
    for context in contexts:
        context.close()


def _act(page, action: str, note: str | None = None, **selects):
    form = page.locator(f"form[data-action='{action}']")
    for name, value in selects.items():
        form.locator(f"select[name={name}]").select_option(value)
    if note:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert "操作已完成" in page.inner_text("main"), page.inner_text("main")


def test_case_is_filed_dispatched_handled_verified_and_closed(live_server, as_user):
    worker = as_user("worker")
    page = worker.page
    page.goto(f"{live_server}/incidents/new")
    page.wait_for_function("() => window.gridappMap && window.gridappMap.ready")
    box = page.locator("path.gridapp-grid").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.select_option("select[name=category_code]", "0101")
    page.fill("textarea[name=description]", "浏览器闭环测试：井盖缺失（虚构）")
    page.click("form#incident-form button[type=submit]")  # queued on the device, sent, then the list (issue 19)
    page.wait_for_url("**/incidents")
    page.wait_for_load_state("networkidle")
    link = page.locator("table#incidents a").first
    case_id = int(link.inner_text())
    case_url = f"{live_server}/cases/{case_id}"

    sec = as_user("hongqi")
    secretary = sec.page
    secretary.goto(case_url)
    _act(secretary, "accept")
    _act(secretary, "file")
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", secretary.inner_text("#case-deadline"))
    hand = as_user("chuzhi")  # the handler has a page open before the dispatch: its badge counts unread
    handler = hand.page
    handler.wait_for_function("() => document.getElementById('unread-badge').dataset.polled === '1'")
    before = int(handler.get_attribute("#unread-badge", "data-count"))
    dispatch = secretary.locator("form[data-action='dispatch']")  # a department, then one of its members
    dispatch.locator("select[name=department_code]").select_option("DEMO-SZ")
    dispatch.locator("input.handler-filter").fill("处置员")
    visible = dispatch.locator("select[name=handler] option:not([hidden])", has_text="演示处置员张某")
    assert visible.count() == 1
    dispatch.locator("select[name=handler]").select_option(label=visible.inner_text().strip())
    _act(secretary, "dispatch")
    assert secretary.get_attribute("#case-state", "data-state") == "dispatched"
    assert "演示处置员张某" in secretary.inner_text("#case-assignee")
    # within 5 s, without a reload and without any command run, the handler's badge rises
    handler.wait_for_function("(n) => Number(document.getElementById('unread-badge').dataset.count) > n",
                              arg=before, timeout=5000)
    assert handler.is_visible("#unread-badge")
    handler.goto(f"{live_server}/tasks")
    handler.click(f"table#tasks a[href='/cases/{case_id}']")
    handler.wait_for_load_state("networkidle")
    _act(handler, "start")
    _act(handler, "handle", note="已补装井盖")

    page.goto(case_url)
    _act(page, "verify-passed")
    assert page.get_attribute("#case-state", "data-state") == "closed"
    steps = [li.get_attribute("data-action") for li in page.locator("#timeline li").all()]
    assert steps == ["report", "accept", "file", "dispatch", "start", "handle", "verify"]
    page.wait_for_function("() => window.gridappMap && window.gridappMap.ready")
    for p in (worker, sec, hand):
        assert p.errors == [] and p.aborted == []
