"""HTML pages: login/logout with CSRF and safe `next`, scoped pages, Chinese first, offline assets."""
from __future__ import annotations

import re

import pytest


def test_login_page_has_the_documented_fields(client):
    page = client.get("/login")
    assert page.status_code == 200
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in page.text
    assert "登录" in page.text and 'lang="zh-CN"' in page.text


def test_login_without_csrf_is_refused(client):
    resp = client.post("/login", data={"username": "district", "password": "test-password-1"})
    assert resp.status_code == 400
    assert client.get("/").status_code == 302


def test_login_wrong_password(login):
    resp = login("district", "wrong-password")
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.text


def test_login_then_home_then_logout(client, login, csrf_of):
    resp = login("hongqi")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "红旗社区" in home.text and "社区书记" in home.text
    token = csrf_of(home.text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/incidents", "/incidents"),
    ("/map?x=1", "/map?x=1"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    ("%2F%2Fevil.example", "/"),
])
def test_login_next_stays_on_this_site(login, target, expected):
    resp = login("district", next_url=target)
    assert resp.status_code == 302
    assert resp.headers["Location"] == expected


def test_pages_need_login(client):
    for path in ("/", "/map", "/incidents", "/incidents/new"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=")


def test_map_page_uses_only_local_assets(client, login):
    login("district")
    page = client.get("/map")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(u.endswith("/static/vendor/leaflet/leaflet.js") for u in urls)
    assert all(u.startswith("/") or u.startswith("#") for u in urls), urls
    assert "http://" not in page.text and "https://" not in page.text
    assert "/api/v1/grids" in page.text  # grid data is fetched from the API, not embedded
    assert "610202002010001" not in page.text
    for url in (u for u in urls if u.startswith("/static/")):
        assert client.get(url).status_code == 200, url


def test_tiles_are_a_setting(app, client, login):
    login("district")
    assert "tileLayer" not in client.get("/map").text
    app.config["TILES_URL"] = "/tiles/{z}/{x}/{y}.png"
    try:
        assert "/tiles/{z}/{x}/{y}.png" in client.get("/map").text
    finally:
        app.config["TILES_URL"] = ""


def test_incident_form_reports_into_the_grid(client, login, tx, csrf_of):
    from gridapp.models import Incident

    login("worker")
    page = client.get("/incidents/new")
    assert page.status_code == 200 and 'name="lon"' in page.text and 'name="lat"' in page.text
    grid = tx.get(__import__("gridapp.models", fromlist=["Grid"]).Grid, "610202002010001")
    from geoalchemy2.shape import to_shape

    pt = to_shape(grid.geom).representative_point()
    resp = client.post("/incidents/new", data={
        "csrf_token": csrf_of(page.text), "category_code": "0505",
        "description": "<script>alert(1)</script> 机动车乱停放", "lon": f"{pt.x:.6f}", "lat": f"{pt.y:.6f}"})
    assert resp.status_code == 302, resp.text
    incident = tx.query(Incident).order_by(Incident.id.desc()).first()
    assert incident.grid_code == "610202002010001"
    listing = client.get("/incidents")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.text
    assert "<script>alert(1)</script>" not in listing.text


def test_incident_form_refuses_outside_own_grid(client, login, tx, csrf_of):
    from gridapp.models import Incident

    login("worker")
    page = client.get("/incidents/new")
    before = tx.query(Incident).count()
    resp = client.post("/incidents/new", data={
        "csrf_token": csrf_of(page.text), "category_code": "0505", "description": "越界",
        "lon": "109.015285", "lat": "35.000666"})
    assert resp.status_code == 403 and "只能在自己负责的网格内上报" in resp.text
    assert tx.query(Incident).count() == before


def test_times_are_shown_in_shanghai(client, login, tx, csrf_of):
    from datetime import UTC, datetime

    from gridapp.models import Incident

    login("district")
    page = client.get("/incidents/new")
    client.post("/incidents/new", data={
        "csrf_token": csrf_of(page.text), "category_code": "0505", "description": "时区测试",
        "lon": "109.07", "lat": "35.07"})
    incident = tx.query(Incident).filter_by(description="时区测试").one()
    incident.reported_at = datetime(2026, 1, 1, 16, 30, tzinfo=UTC)  # 2026-01-02 00:30 in Shanghai
    tx.commit()
    assert "2026-01-02 00:30" in client.get("/incidents").text


def test_english_is_the_second_locale(app):
    # A client of its own: each request gets its own app context, as in production.
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": "district", "password": "test-password-1",
                                "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                                        page.text).group(1)})
    assert "网格地图" in client.get("/").text
    client.get("/lang/en")
    page = client.get("/")
    assert 'lang="en"' in page.text and "Grid map" in page.text and "网格地图" not in page.text
    client.get("/lang/zh")
    assert 'lang="zh-CN"' in client.get("/").text

def test_html_errors_are_pages_not_json(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "text/html" in resp.content_type


def test_security_headers_and_csp_nonce(app, client, login):
    login("district")
    page = client.get("/map")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert client.get("/map").headers["Content-Security-Policy"] != csp  # a fresh nonce per response
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    app.config["TILES_URL"] = "https://t0.tianditu.gov.cn/img_w/wmts?x={x}&y={y}&l={z}"
    try:
        csp = client.get("/map").headers["Content-Security-Policy"]
        assert "img-src 'self' data: https://t0.tianditu.gov.cn" in csp
        assert "script-src 'self' 'nonce-" in csp and "tianditu" not in csp.split("img-src")[0]
    finally:
        app.config["TILES_URL"] = ""


def test_favicon_ico_points_at_the_icon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301 and resp.headers["Location"].endswith("/static/favicon.svg")
    assert client.get(resp.headers["Location"]).status_code == 200
