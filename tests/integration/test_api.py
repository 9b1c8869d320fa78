"""JSON API v1 on the demo district (real PostGIS)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely import unary_union
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[2]
POINTS = json.loads((ROOT / "geodata" / "wangyi" / "wangyi_unit_points.geojson").read_text("utf-8"))


def test_token_ok_and_bad_credentials(client):
    ok = client.post("/api/v1/auth/token", json={"username": "district", "password": "test-password-1"})
    assert ok.status_code == 200 and len(ok.get_json()["token"]) > 30
    bad = client.post("/api/v1/auth/token", json={"username": "district", "password": "wrong"})
    assert bad.status_code == 401
    assert bad.get_json()["error"]["code"] == "bad_credentials"
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
    assert unknown.status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/areas", "/api/v1/grids", "/api/v1/incidents",
                                  "/api/v1/locate?lon=109.07&lat=35.07"])
def test_api_needs_a_token(client, path):
    resp = client.get(path)
    assert resp.status_code == 401
    assert resp.is_json and resp.get_json()["error"]["code"] == "unauthenticated"
    forged = client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401 and forged.get_json()["error"]["code"] == "invalid_token"


def test_errors_under_api_are_json(client, bearer):
    resp = client.get("/api/v1/no-such-thing", headers=bearer("district"))
    assert resp.status_code == 404 and resp.is_json
    assert set(resp.get_json()["error"]) >= {"code", "message"}
    resp = client.post("/api/v1/auth/token", data="not json", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("level,count", [("district", 1), ("township", 7), ("community", 46)])
def test_areas_by_level(client, bearer, level, count):
    resp = client.get(f"/api/v1/areas?level={level}", headers=bearer("district"))
    assert resp.status_code == 200
    fc = resp.get_json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == count
    props = fc["features"][0]["properties"]
    assert set(props) >= {"code", "name", "level", "parent_code", "unit_type", "boundary_source"}


def test_area_hierarchy_is_real(client, bearer):
    resp = client.get("/api/v1/areas?level=community", headers=bearer("district"))
    assert '"红旗社区"' in resp.get_data(as_text=True)  # readable UTF-8, not \u escapes
    fc = resp.get_json()
    by_code = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    assert sum(p["unit_type"] == "居委会" for p in by_code.values()) == 20
    assert sum(p["unit_type"] == "村委会" for p in by_code.values()) == 26
    hongqi = by_code["610202002010"]
    assert hongqi["name"] == "红旗社区" and hongqi["parent_code"] == "610202002"
    assert hongqi["boundary_source"] == "derived"
    district = client.get("/api/v1/areas?level=district", headers=bearer("district")).get_json()
    assert district["features"][0]["properties"]["boundary_source"] == "imported"
    assert client.get("/api/v1/areas?level=planet", headers=bearer("district")).status_code == 400


def test_261_grids_whose_union_is_the_union_of_the_20_communities(client, bearer):
    headers = bearer("district")
    grids = client.get("/api/v1/grids", headers=headers).get_json()["features"]
    assert len(grids) == 261
    assert {g["properties"]["code"][:12] for g in grids} == {g["properties"]["community_code"] for g in grids}
    communities = [f for f in client.get("/api/v1/areas?level=community", headers=headers).get_json()["features"]
                   if f["properties"]["unit_type"] == "居委会"]
    assert len({g["properties"]["community_code"] for g in grids}) == 20
    grid_union = unary_union([shape(g["geometry"]) for g in grids])
    community_union = unary_union([shape(c["geometry"]) for c in communities])
    assert grid_union.symmetric_difference(community_union).area < 1e-9 * community_union.area


def test_grids_filter_by_community(client, bearer):
    fc = client.get("/api/v1/grids?community_code=610202002010", headers=bearer("district")).get_json()
    assert fc["features"] and all(f["properties"]["community_code"] == "610202002010" for f in fc["features"])
    assert fc["features"][0]["properties"]["code"] == "610202002010001"


@pytest.mark.parametrize("feature", [f for f in POINTS["features"] if len(f["properties"]["code"]) == 12],
                         ids=lambda f: f["properties"]["code"])
def test_each_real_unit_point_locates_into_its_own_unit(client, bearer, feature):
    lon, lat = feature["geometry"]["coordinates"]
    resp = client.get(f"/api/v1/locate?lon={lon}&lat={lat}", headers=bearer("district"))
    assert resp.status_code == 200
    body = resp.get_json()
    code = feature["properties"]["code"]
    assert body["community_code"] == code
    assert body["township_code"] == code[:9] and body["district_code"] == "610202"
    if int(code[9:]) < 200:  # a 社区: gridded
        assert body["grid_code"] is not None and body["grid_code"].startswith(code)
    else:  # a 村: no grids
        assert body["grid_code"] is None


@pytest.mark.parametrize("feature", [f for f in POINTS["features"] if len(f["properties"]["code"]) == 9],
                         ids=lambda f: f["properties"]["code"])
def test_each_real_township_seat_locates_into_its_township(client, bearer, feature):
    lon, lat = feature["geometry"]["coordinates"]
    body = client.get(f"/api/v1/locate?lon={lon}&lat={lat}", headers=bearer("district")).get_json()
    assert body["township_code"] == feature["properties"]["code"]


@pytest.mark.parametrize("query,status", [
    ("lon=0&lat=0", 404),            # the Gulf of Guinea
    ("lon=116.39&lat=39.9", 404),    # Beijing: outside the district
    ("lon=abc&lat=35", 400),
    ("lon=109.07", 400),
    ("lon=200&lat=35", 400),
    ("lon=109.07&lat=-95", 400),
    ("lon=nan&lat=35", 400),
    ("lon=inf&lat=35", 400),
])
def test_locate_errors(client, bearer, query, status):
    resp = client.get(f"/api/v1/locate?{query}", headers=bearer("district"))
    assert resp.status_code == status
    assert resp.get_json()["error"]["message"]


def _grid_interior_point(client, headers, grid_code):
    fc = client.get(f"/api/v1/grids?community_code={grid_code[:12]}", headers=headers).get_json()
    geom = next(shape(f["geometry"]) for f in fc["features"] if f["properties"]["code"] == grid_code)
    return geom.representative_point()


def test_worker_reports_inside_own_grid(client, bearer):
    headers = bearer("worker")
    pt = _grid_interior_point(client, bearer("district"), "610202002010001")
    resp = client.post("/api/v1/incidents", headers=headers, json={
        "category_code": "0102", "description": "小区门口垃圾堆积", "lon": pt.x, "lat": pt.y})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["grid_code"] == "610202002010001"
    assert body["community_code"] == "610202002010"
    assert body["status"] == "reported"
    assert body["reported_at"].endswith("+00:00")
    listed = client.get("/api/v1/incidents", headers=headers).get_json()["features"]
    assert body["id"] in [f["properties"]["id"] for f in listed]


def test_worker_outside_own_grid_is_forbidden(client, bearer, tx):
    from gridapp.models import Incident

    before = tx.query(Incident).count()
    pt = _grid_interior_point(client, bearer("district"), "610202002010002")
    resp = client.post("/api/v1/incidents", headers=bearer("worker"), json={
        "category_code": "0102", "description": "越界上报", "lon": pt.x, "lat": pt.y})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "outside_scope"
    assert tx.query(Incident).count() == before


@pytest.mark.parametrize("body,status,code", [
    ({"category_code": "0102", "description": "x", "lon": 116.39, "lat": 39.9}, 422, "outside_district"),
    ({"category_code": "9999", "description": "x", "lon": 109.07, "lat": 35.07}, 400, "invalid_category"),
    ({"category_code": "01", "description": "x", "lon": 109.07, "lat": 35.07}, 400, "invalid_category"),
    ({"category_code": "0102", "description": "  ", "lon": 109.07, "lat": 35.07}, 400, "invalid_description"),
    ({"category_code": "0102", "description": "x", "lon": "east", "lat": 35.07}, 400, "invalid_coordinates"),
    ({"category_code": "0102", "description": "x", "lat": 35.07}, 400, "invalid_coordinates"),
    ({"category_code": "0102", "description": "x", "lon": True, "lat": 35.07}, 400, "invalid_coordinates"),
])
def test_report_refusals_write_nothing(client, bearer, tx, body, status, code):
    from gridapp.models import Incident

    before = tx.query(Incident).count()
    resp = client.post("/api/v1/incidents", headers=bearer("district"), json=body)
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code
    assert tx.query(Incident).count() == before


def test_incident_lists_are_scoped(client, bearer, make_user):
    district = bearer("district")
    spots = {code: _grid_interior_point(client, district, code)
             for code in ("610202002010001", "610202002010002", "610202001001001")}
    ids = {}
    for code, pt in spots.items():
        resp = client.post("/api/v1/incidents", headers=district, json={
            "category_code": "51", "description": f"测试 {code}", "lon": pt.x, "lat": pt.y})
        assert resp.status_code == 201
        ids[code] = resp.get_json()["id"]

    def seen(username):
        fc = client.get("/api/v1/incidents", headers=bearer(username)).get_json()
        return {f["properties"]["id"] for f in fc["features"]} & set(ids.values())

    assert seen("district") == set(ids.values())
    assert seen("hongqijie") == {ids["610202002010001"], ids["610202002010002"]}
    assert seen("hongqi") == {ids["610202002010001"], ids["610202002010002"]}
    assert seen("worker") == {ids["610202002010001"]}
    other = make_user("secretary", "610202001001")
    assert seen(other.username) == {ids["610202001001001"]}
    outsider = make_user("worker", grids=["610202001001002"])
    assert seen(outsider.username) == set()


def test_grid_lists_are_scoped(client, bearer):
    def codes(username):
        return {f["properties"]["code"] for f in
                client.get("/api/v1/grids", headers=bearer(username)).get_json()["features"]}

    assert len(codes("district")) == 261
    assert codes("worker") == {"610202002010001"}
    hongqi = codes("hongqi")
    assert hongqi and all(c.startswith("610202002010") for c in hongqi)
    assert all(c.startswith("610202002") for c in codes("hongqijie"))


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_api_errors_speak_the_request_language(client, bearer):
    """Chinese by default; English with Accept-Language: en or ?lang=en (the field named either way)."""
    headers = bearer("district")
    zh = client.get("/api/v1/incidents?bbox=1,2,3", headers=headers).get_json()["error"]
    en = client.get("/api/v1/incidents?bbox=1,2,3", headers={**headers, "Accept-Language": "en-US,en;q=0.9"})
    by_query = client.get("/api/v1/incidents?bbox=1,2,3&lang=en", headers=headers).get_json()["error"]
    assert "最小经度" in zh["message"] and zh["field"] == "bbox"
    assert en.get_json()["error"]["message"] == by_query["message"] and "bbox" in by_query["message"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in by_query["message"]), by_query["message"]
    chinese = client.get("/api/v1/incidents?bbox=1,2,3", headers={**headers, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.get_json()["error"]["message"] == zh["message"]
