"""Every page reachable from the navigation opens for every demo role (issue 24): no 4xx/5xx, no page
error, no console error, nothing asked of another host. The links are read from each role's own
navigation bar, so a page added there is crawled without changing this test."""
from __future__ import annotations

import pytest
from conftest import login_and_wait  # tests/browser is on sys.path (pyproject: pythonpath)

from gridapp.demo import DEMO_USERS


@pytest.mark.browser
@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_every_navigation_page_opens_cleanly_for_each_demo_role(live_server, offline_page, username):
    page = offline_page.page
    failures = []
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    login_and_wait(page, live_server, username)
    assert page.url.rstrip("/") == live_server, f"{username} could not log in: {page.url}"
    links = page.eval_on_selector_all("header.top a", "els => els.map(e => e.href)")
    links = sorted({link for link in links if link.startswith(live_server) and "/lang/" not in link
                    and "logout" not in link})
    assert len(links) >= 5, links
    for link in links:
        page.goto(link)
        page.wait_for_load_state("networkidle")
    assert failures == [], failures
    assert offline_page.errors == [], offline_page.errors
    assert offline_page.aborted == [], offline_page.aborted
