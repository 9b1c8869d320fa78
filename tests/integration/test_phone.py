"""The phone app's server side (issue 19): service worker, manifest, the outbox's token, the
worker's home (what is theirs), the phone settings in the page."""
from __future__ import annotations

import json
import re

import pytest
from caseutil import GRID, grid_point, make_case
from sqlalchemy import select

from gridapp.models import Incident, User


def test_service_worker_is_served_from_the_root_uncached_with_local_workbox(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache" and resp.headers["Service-Worker-Allowed"] == "/"
    body = resp.text
    modules = [f"/static/vendor/workbox/workbox-{m}.prod.js" for m in ("core", "routing", "strategies")]
    assert f"importScripts.apply(self, {json.dumps(modules)})" in body
    assert "googleapis" not in body and "setConfig" not in body
    for module in modules:  # served, and none of them can reach for a CDN
        resp = client.get(module)
        assert resp.status_code == 200 and b"https://" not in resp.data, module


def test_manifest_names_the_app_in_chinese_with_icons(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200 and resp.mimetype == "application/manifest+json"
    manifest = resp.get_json()
    assert manifest["name"] == "网格化社会治理平台" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_outbox_token_needs_login_and_csrf_and_works_on_the_api(client, tx, login, csrf_of):
    assert client.post("/phone/token").status_code in (302, 400, 401)
    login("worker")
    csrf = csrf_of(client.get("/").text)
    assert client.post("/phone/token").status_code == 400  # no CSRF token
    resp = client.post("/phone/token", headers={"X-CSRFToken": csrf})
    assert resp.status_code == 200
    body = resp.get_json()
    worker = tx.scalar(select(User).where(User.username == "worker"))
    assert body["user_id"] == worker.id
    me = client.get("/api/v1/grids", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and [f["properties"]["code"] for f in me.get_json()["features"]] == [GRID]


def test_phone_settings_are_in_every_page_for_the_scripts(client, tx, login):
    login("worker")
    html = client.get("/incidents/new").text
    island = re.search(r'<script type="application/json" id="phone-config"[^>]*>(.*?)</script>', html, re.S)
    cfg = json.loads(island.group(1))
    assert cfg["accuracy_warn_m"] == 50 and cfg["photo_max_side"] == 2000
    assert cfg["incidents_url"] == "/api/v1/incidents" and cfg["photos_url"] == "/api/v1/photos"
    assert "/incidents/new" in cfg["warm"] and "/api/v1/grids" in cfg["warm"]
    assert 'rel="manifest"' in html and 'id="nav-toggle"' in html


def test_worker_home_shows_the_report_action_and_what_is_theirs(client, tx, login):
    def count(html, name):
        return int(re.search(rf'id="count-{name}">(\d+)<', html).group(1))

    worker = tx.scalar(select(User).where(User.username == "worker"))
    login("worker")
    before = client.get("/").text
    make_case(worker, "handled")  # handled: the reporter verifies it (核查)
    tx.commit()
    html = client.get("/").text
    assert 'id="report-action"' in html and "上报事件" in html
    assert count(html, "verify") == count(before, "verify") + 1
    assert count(html, "tasks") == count(before, "tasks") + 1
    assert 'id="count-queued"' in html and 'id="count-grids"' not in html


@pytest.mark.parametrize("accuracy,status", [(12.5, 201), ("80", 201), (None, 201), (-1, 400), ("far", 400),
                                             (True, 400), (100_001, 400)])
def test_the_report_carries_its_gps_accuracy(client, tx, bearer, accuracy, status):
    lon, lat = grid_point(GRID)
    body = {"category_code": "0102", "description": "定位精度测试（虚构）", "lon": lon, "lat": lat}
    if accuracy is not None:
        body["accuracy_m"] = accuracy
    resp = client.post("/api/v1/incidents", json=body, headers=bearer("worker"))
    assert resp.status_code == status, resp.get_json()
    if status == 400:
        assert resp.get_json()["error"]["field"] == "accuracy_m"
        return
    stored = tx.get(Incident, resp.get_json()["id"]).location_accuracy_m
    assert stored == (None if accuracy is None else float(accuracy))
