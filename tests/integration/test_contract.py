"""The declared contract of API v1 (issue 17): the OpenAPI document generated from the schemas is
valid and complete, GeoJSON is RFC 7946, and every class of hostile input is refused with 400
naming the field (in the request's language) and nothing written; 404 for ids beyond int4, 405
with Allow, 401 before any validation."""
from __future__ import annotations

import io
import json

import pytest
from caseutil import GRID, grid_point, make_case
from openapi_spec_validator import validate
from sqlalchemy import func, select

from gridapp.models import Incident, Place, User

WRITES = {"post", "put", "patch"}


@pytest.fixture
def doc(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def test_document_is_valid_openapi_3_1(doc):
    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema
    assert doc["openapi"] == "3.1.0"


def test_every_operation_declares_id_tag_parameters_body_and_responses(doc):
    ids, error = set(), {"$ref": "#/components/schemas/ErrorBody"}
    tags = {t["name"] for t in doc["tags"]}
    for path, methods in doc["paths"].items():
        for verb, op in methods.items():
            where = f"{verb.upper()} {path}"
            assert op["operationId"] and op["operationId"] not in ids, where
            ids.add(op["operationId"])
            assert len(op["tags"]) == 1 and op["tags"][0] in tags, where
            ok = [code for code in op["responses"] if code.startswith("2")]
            assert len(ok) == 1, where
            if ok[0] != "204":
                assert op["responses"][ok[0]]["content"], where
            for code in op["responses"]:
                if code.startswith("4") and code != "422" or code == "401":
                    assert op["responses"][code]["content"]["application/json"]["schema"] == error, where
            if verb in WRITES and "{action}" not in path or path.endswith("/actions/{action}"):
                assert "requestBody" in op, where
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(part[1:-1] for part in path.split("/") if part.startswith("{")
                                   for part in [part.split(".")[0]]), where
    assert len(ids) >= 60
    lists = doc["paths"]["/api/v1/incidents"]["get"]
    assert {p["name"] for p in lists["parameters"]} >= {"state", "from", "to", "page", "per_page", "bbox"}


def test_idempotent_creates_declare_their_header_and_answers(doc):
    # exactly the routes that honour Idempotency-Key declare it (and Idempotent-Replayed, 409, 422)
    keyed = {f"{verb} {path}" for path, methods in doc["paths"].items() for verb, op in methods.items()
             if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in op.get("parameters", []))}
    assert keyed == {"post /api/v1/incidents", "post /api/v1/photos", "post /api/v1/disputes",
                     "post /api/v1/inspections"}
    for entry in keyed:
        verb, path = entry.split()
        op = doc["paths"][path][verb]
        assert {"409", "422"} <= set(op["responses"]) and "Idempotent-Replayed" in op["responses"]["201"]["headers"]


def test_geojson_operations_are_declared_and_served_as_geojson(doc, client, bearer):
    assert "application/geo+json" in doc["paths"]["/api/v1/areas"]["get"]["responses"]["200"]["content"]
    resp = client.get("/api/v1/areas?level=township", headers=bearer("district"))
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    fc = resp.get_json()
    assert "crs" not in fc and fc["features"]
    from shapely.geometry import shape

    for feature in fc["features"]:
        geom = shape(feature["geometry"])
        for polygon in getattr(geom, "geoms", [geom]):
            assert polygon.exterior.is_ccw and all(not ring.is_ccw for ring in polygon.interiors)
            assert all(round(v, 7) == v for xy in polygon.exterior.coords for v in xy)
    assert client.get("/api/v1/incidents", headers=bearer("district")).mimetype == "application/geo+json"


def _count(tx, model) -> int:
    return tx.scalar(select(func.count()).select_from(model))


def _report(lon, lat, **more) -> dict:
    return {"category_code": "0102", "description": "测试上报（虚构）", "lon": lon, "lat": lat, **more}


@pytest.mark.parametrize("field,value", [
    ("description", "路灯\x00坏了"),  # NUL
    ("description", "路灯\x07坏了"),  # another C0 control character
    ("description", "\ud800"),  # a lone surrogate
    ("description", "\u200b\u200b \u3000"),  # only invisible characters where text is required
    ("lon", float("nan")),
    ("lat", float("inf")),
    ("category_code", "01\x00"),
])
def test_json_body_classes_are_refused_naming_the_field_and_nothing_written(client, bearer, tx, field, value):
    lon, lat = grid_point(GRID)
    body = json.dumps({**_report(lon, lat), field: value}, allow_nan=True)
    before = _count(tx, Incident)
    resp = client.post("/api/v1/incidents", data=body, content_type="application/json", headers=bearer("worker"))
    assert resp.status_code == 400, resp.get_json()
    error = resp.get_json()["error"]
    assert error["field"] == field and error["message"]
    assert _count(tx, Incident) == before


def test_invalid_utf8_and_deep_nesting_are_400_and_write_nothing(client, bearer, tx):
    lon, lat = grid_point(GRID)
    headers = bearer("worker")
    before = _count(tx, Incident)
    raw = json.dumps(_report(lon, lat)).encode().replace(b"\\u6d4b", b"\xed\xa0\x80")
    assert client.post("/api/v1/incidents", data=raw, content_type="application/json",
                       headers=headers).status_code == 400
    deep = json.dumps(_report(lon, lat))[:-1] + ', "photos": ' + "[" * 40 + "]" * 40 + "}"
    resp = client.post("/api/v1/incidents", data=deep, content_type="application/json", headers=headers)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_json"
    bad_query = client.get("/api/v1/incidents?category=%ED%A0%80", headers=headers)
    assert bad_query.status_code == 400 and bad_query.get_json()["error"]["field"] == "category"
    assert _count(tx, Incident) == before


@pytest.mark.parametrize("query,field", [
    ("page=0", "page"), ("page=99999999999999999999999", "page"), ("per_page=501", "per_page"),
    ("per_page=-1", "per_page"), ("from=0001-01-01", "from"), ("to=2101-01-01", "to"), ("from=NaN", "from"),
    ("state=a%00b", "state"), ("category=%ED%B0%80", "category"), ("mine=maybe", "mine"),
])
def test_query_string_classes_are_refused_naming_the_parameter(client, bearer, query, field):
    resp = client.get(f"/api/v1/incidents?{query}", headers=bearer("district"))
    assert resp.status_code == 400, (query, resp.get_json())
    assert resp.get_json()["error"]["field"] == field


def test_integers_beyond_int4_are_400_in_bodies_and_404_in_paths(client, bearer, tx):
    case = make_case(tx.scalar(select(User).where(User.username == "worker")))
    tx.commit()
    headers = bearer("hongqi")
    resp = client.post(f"/api/v1/incidents/{case.id}/actions/accept", json={"version": 2**31}, headers=headers)
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "version"
    assert tx.get(Incident, case.id).status == "reported"
    assert client.get(f"/api/v1/incidents/{2**31}", headers=headers).status_code == 404
    assert client.get("/api/v1/places/99999999999999999999", headers=headers).status_code == 404
    assert client.post(f"/api/v1/incidents/{2**40}/actions/accept", json={}, headers=headers).status_code == 404
    unknown = client.post(f"/api/v1/incidents/{case.id}/actions/fly", json={}, headers=headers)
    assert unknown.status_code == 404


def test_form_posts_and_imported_files_refuse_control_characters(client, bearer, tx):
    headers = bearer("admin")
    before = _count(tx, Place)
    form = client.post("/api/v1/imports", data={"level": "grid\x00", "mode": "dry_run",
                                                "file": (io.BytesIO(b"{}"), "a.geojson")}, headers=headers)
    assert form.status_code == 400 and form.get_json()["error"]["field"] == "level"
    csv = "名称,类型,经营者,许可证号,经度,纬度,风险等级,状态\n坏\x00名字,餐饮,张三,X1,109.07,35.07,low,operating\n"
    upload = client.post("/api/v1/places/import", headers=headers,
                         data={"file": (io.BytesIO(csv.encode("utf-8")), "places.csv")})
    assert upload.status_code == 400 and upload.get_json()["error"]["code"] in ("bad_rows", "invalid_file")
    assert _count(tx, Place) == before


def test_error_messages_follow_the_request_language(client, bearer):
    headers = bearer("district")
    zh = client.get("/api/v1/incidents?per_page=501", headers=headers).get_json()["error"]
    en = client.get("/api/v1/incidents?per_page=501&lang=en", headers=headers).get_json()["error"]
    en2 = client.get("/api/v1/incidents?per_page=501", headers={**headers, "Accept-Language": "en"})
    assert zh["field"] == en["field"] == "per_page" and zh["message"] != en["message"]
    assert en["message"] == en2.get_json()["error"]["message"] and en["message"].isascii()


def test_405_carries_allow_and_401_comes_before_validation(client):
    resp = client.put("/api/v1/incidents")
    assert resp.status_code == 405 and set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert resp.get_json()["error"]["code"] == "method_not_allowed"
    for method, url, body in [("post", "/api/v1/incidents", {"lon": "NaN"}),
                              ("get", "/api/v1/incidents?per_page=0", None),
                              ("post", f"/api/v1/incidents/{2**40}/actions/x", {"version": "x"}),
                              ("post", "/api/v1/places", {"name": "\x00"})]:
        resp = getattr(client, method)(url, json=body)
        assert resp.status_code == 401, (url, resp.get_json())


def test_a_category_code_longer_than_the_column_is_unknown_not_a_crash(client, bearer, tx):
    """schemathesis found it: 'invalid_op' (10 characters) reached varchar(8) in SQL (500)."""
    lon, lat = grid_point(GRID)
    before = _count(tx, Incident)
    resp = client.post("/api/v1/incidents", json={**_report(lon, lat), "category_code": "invalid_op"},
                       headers=bearer("worker"))
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_category"
    assert _count(tx, Incident) == before


@pytest.mark.parametrize("description", ["路灯\x00坏了", "\u200b\u200b\u3000"])
def test_web_form_posts_refuse_the_same_classes(client, login, csrf_of, tx, description):
    login("worker")
    lon, lat = grid_point(GRID)
    page = client.get("/incidents/new")
    before = _count(tx, Incident)
    resp = client.post("/incidents/new", data={"csrf_token": csrf_of(page.text), "category_code": "0102",
                                               "description": description, "lon": lon, "lat": lat})
    assert resp.status_code == 400 and _count(tx, Incident) == before
