"""No page a grid worker or a community secretary uses scrolls sideways on a 360 px phone, the
menu folds into one button there, lists become cards and tap targets are at least 44 px (issue 19).
The pages: every link of the role's navigation, and the first case, dispute, place, inspection and
party-group page linked from the lists."""
from __future__ import annotations

import pytest
from conftest import login_and_wait, report_in_worker_grid

NARROW = {"width": 360, "height": 740}
#: list page → the pattern of its detail links (the first one found is visited too)
DETAILS = {"/cases": r"^/cases/\d+$", "/disputes": r"^/disputes/\d+$", "/places": r"^/places/\d+$",
           "/org": r"^/org/", "/tasks": r"^/cases/\d+$"}
FIRST = ("(els, pattern) => (els.map(e => e.getAttribute('href'))"
         ".filter(h => new RegExp(pattern).test(h || ''))[0] || null)")

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && getComputedStyle(el).position !== 'fixed'
      && !el.closest('.leaflet-container, .table-wrap');
  }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.')
    + ' ' + Math.round(el.getBoundingClientRect().right));
  const small = [...document.querySelectorAll('main button, main input, main select, main textarea, main a.primary')]
    .filter(el => el.offsetParent !== null && el.type !== 'hidden' && el.type !== 'checkbox' && el.type !== 'radio'
      && !el.closest('.leaflet-container') && el.getBoundingClientRect().height < 44)
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.name ? '[' + el.name + ']' : '') + ' '
      + Math.round(el.getBoundingClientRect().height));
  return {scroll: document.documentElement.scrollWidth, width: window.innerWidth, wide, small};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("username", ["worker", "hongqi"])
def test_no_sideways_scrolling_at_360_px(browser, live_server, username):
    context = browser.new_context(viewport=NARROW, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  service_workers="block")
    page = context.new_page()
    try:
        login_and_wait(page, live_server, username)
        # the menu is one button; opened, each link is a full-width row at least 44 px high
        assert page.locator("header.top a[href='/tasks']").is_hidden()
        page.click("#nav-toggle")
        tasks = page.locator("header.top a[href='/tasks']").bounding_box()
        assert tasks["height"] >= 44 and tasks["width"] >= 300
        links = page.eval_on_selector_all("header.top a", "els => els.map(e => e.getAttribute('href'))")
        paths = [p for p in dict.fromkeys(links) if p and p.startswith("/") and not p.startswith("/lang/")]
        for list_path, selector in DETAILS.items():
            if list_path in paths:
                page.goto(live_server + list_path)
                first = page.eval_on_selector_all("main a", FIRST, selector)
                if first:
                    paths.append(first)
        wide = {}
        for path in paths:
            page.goto(live_server + path)
            seen = page.evaluate(OVERFLOW)
            if seen["scroll"] > seen["width"] or seen["small"]:  # sideways scrolling, or a tap target < 44 px
                wide[path] = seen
        assert wide == {}
        # lists are cards: the task list's cells stack, each labelled with its column
        page.goto(live_server + "/tasks")
        cell = page.locator("table#tasks tbody tr td[data-label]").first
        if cell.count():
            assert page.evaluate("getComputedStyle(document.querySelector('table#tasks tbody tr')).display") == "block"
        submit = page.locator("main button, main input[type=submit]").all()
        assert all(b.bounding_box()["height"] >= 44 for b in submit if b.is_visible())
        # the report form's small map opens with its layer list and legend folded (they covered half
        # of it), and a tap unfolds the legend
        page.goto(live_server + "/incidents/new")
        page.wait_for_selector(".gridapp-legend details")
        assert page.locator(".leaflet-control-layers-expanded").count() == 0
        assert page.locator(".leaflet-control-layers").count() >= 1
        assert page.eval_on_selector(".gridapp-legend details", "d => d.open") is False
        page.click(".gridapp-legend summary")
        assert page.eval_on_selector(".gridapp-legend details", "d => d.open") is True
    finally:
        context.close()


@pytest.mark.browser
def test_card_labels_use_the_languages_colon(browser, live_server, app):
    """A list's cards label each value: with a full-width colon in Chinese (标签：), with ": " in English."""
    report_in_worker_grid(app, 1, "卡片标签测试（虚构）")  # a row to show (history is append-only: it stays)
    context = browser.new_context(viewport=NARROW, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  service_workers="block")
    page = context.new_page()
    label = ("() => { const td = document.querySelector('table.list.cards-narrow tbody td[data-label]');"
             " return td ? getComputedStyle(td, '::before').content : null; }")
    try:
        login_and_wait(page, live_server, "worker", "/cases")
        zh = page.evaluate(label)
        assert zh is not None and zh.endswith('："')
        page.goto(live_server + "/lang/en")
        page.goto(live_server + "/cases")
        assert page.evaluate(label).endswith(': "')
    finally:
        context.close()
