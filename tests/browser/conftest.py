"""A live server (werkzeug, threaded) on 127.0.0.1 and Debian chromium driven by Playwright.

Every request that is not to 127.0.0.1 is aborted and counted; page errors are collected.
"""
from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from gridapp import provision

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def api_token(base: str, username: str, password: str = "test-password-1") -> str:
    """A bearer token (an API key) of a demo user from the live server, over HTTP."""
    request = urllib.request.Request(f"{base}/api/v1/auth/token", method="POST",
                                     data=json.dumps({"username": username, "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as resp:
        return json.load(resp)["token"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=provision.ensure_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class OfflinePage:
    """A page that aborts non-local requests and records page errors and aborted URLs."""

    def __init__(self, page):
        self.page, self.errors, self.aborted = page, [], []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith("http://127.0.0.1:") or url.startswith("data:"):
            route.continue_()
        else:
            self.aborted.append(url)
            route.abort()


def login(page, base: str, username: str, next_path: str | None = None, password: str = "test-password-1") -> None:
    """Log in through the login form of the live server at ``base`` (then go to ``next_path``)."""
    page.goto(f"{base}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def login_and_wait(page, base: str, username: str, next_path: str = "/") -> None:
    """Log in (:func:`login`) and wait until the page's network is idle."""
    login(page, base, username, next_path)
    page.wait_for_load_state("networkidle")


def report_in_worker_grid(app, count: int, label: str) -> None:
    """The demo worker reports ``count`` incidents (category 0103, fictitious text ``label`` + i) a
    metre apart at a point of their grid 610202002010001, through the product's own service."""
    from sqlalchemy import func, select

    from gridapp.extensions import db
    from gridapp.incidents import reports as incidents
    from gridapp.models import Grid, User

    with app.app_context():
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        point = func.ST_PointOnSurface(Grid.geom)
        lon, lat = db.session.execute(select(func.ST_X(point), func.ST_Y(point))
                                      .where(Grid.code == "610202002010001")).one()
        for i in range(count):
            incidents.report_incident(worker, "0103", f"{label}{i}", lon + i * 1e-5, lat)
        db.session.remove()


@pytest.fixture
def offline_page(browser):
    # service workers blocked: page.route (the abort and count of other hosts, a test's own routes)
    # does not see what a service worker answers; tests/browser/phone/ runs the app's worker
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="block")
    page = OfflinePage(context.new_page())
    yield page
    context.close()
