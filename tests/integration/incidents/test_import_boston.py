"""Acceptance: Boston wards as communities, precincts as grids, 311 cases as incidents (real data,
tests/data/boston/README.md). The district/township codes 990100… are fictitious test codes."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, mapping, shape
from sqlalchemy import func, select

from gridapp.models import AdminArea, Grid, Incident

DATA = Path(__file__).resolve().parents[2] / "data" / "boston"
WARDS = json.loads((DATA / "boston_wards_wgs84.geojson").read_text("utf-8"))
PRECINCTS = json.loads((DATA / "boston_precincts_wgs84.geojson").read_text("utf-8"))
CASES = list(csv.DictReader((DATA / "boston311_2015_fixture_wards3_5_may.csv").open(encoding="utf-8")))
TOWNSHIP = "990100001"


def _post(client, headers, payload: bytes, filename: str, **form):
    form = {k: str(v) for k, v in form.items()}
    form["file"] = (io.BytesIO(payload), filename)
    return client.post("/api/v1/imports", data=form, headers=headers, content_type="multipart/form-data")


def _fc(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.fixture
def boston(app, client, bearer, tx):
    """The test district 990100 with township 990100001 whose outline is the union of the wards."""
    app.config["IMPORT_EXTENT"] = (-180.0, -90.0, 180.0, 90.0)
    headers = bearer("admin")
    outline = mapping(shapely.union_all([shape(f["geometry"]) for f in WARDS["features"]]))
    for level, code, name, parent in (("district", "990100", "测试区（Boston）", ""),
                                      ("township", TOWNSHIP, "测试街道（Boston）", "990100")):
        resp = _post(client, headers, _fc([{"type": "Feature", "geometry": outline,
                                            "properties": {"code": code, "name": name}}]),
                     "outline.geojson", level=level, parent_code=parent, mode="commit")
        assert resp.status_code == 200 and resp.get_json()["created"] == 1, resp.get_json()
    yield headers
    app.config["IMPORT_EXTENT"] = (73.4, 3.8, 135.1, 53.6)


def test_boston_wards_precincts_and_311_cases(client, boston, tx):
    headers = boston
    wards = (DATA / "boston_wards_wgs84.geojson").read_bytes()
    strict = _post(client, headers, wards, "wards.geojson", level="community", parent_code=TOWNSHIP,
                   code_field="ward", mode="commit")
    assert strict.status_code == 422
    refused = strict.get_json()["refused"]
    assert refused and all("overlaps feature" in r["reason"] for r in refused)
    assert tx.scalar(select(func.count()).select_from(AdminArea).where(AdminArea.parent_code == TOWNSHIP)) == 0

    ok = _post(client, headers, wards, "wards.geojson", level="community", parent_code=TOWNSHIP,
               code_field="ward", mode="commit", repair=1)
    report = ok.get_json()
    assert ok.status_code == 200 and report["created"] == 22 and report["refused"] == []
    assert report["repaired"] and all("sliver" in r["fix"] for r in report["repaired"])

    precincts = (DATA / "boston_precincts_wgs84.geojson").read_bytes()
    resp = _post(client, headers, precincts, "precincts.geojson", level="grid", parent_code=TOWNSHIP,
                 name_field="ward_precinct", mode="commit", repair=1, tolerance_m=3)
    assert resp.status_code == 422
    # precinct 0115 (1.9 km²) lies outside every ward of the ward file: refused, nothing written
    assert [(r["index"], r["name"]) for r in resp.get_json()["refused"]] == [
        (next(i for i, f in enumerate(PRECINCTS["features"]) if f["properties"]["ward_precinct"] == "0115"), "0115")]
    assert "outside every community" in resp.get_json()["refused"][0]["reason"]
    assert tx.scalar(select(func.count()).select_from(Grid).where(Grid.district_code == "990100")) == 0

    kept = [f for f in PRECINCTS["features"] if f["properties"]["ward_precinct"] != "0115"]
    resp = _post(client, headers, _fc(kept), "precincts.geojson", level="grid", parent_code=TOWNSHIP,
                 name_field="ward_precinct", mode="commit", repair=1, tolerance_m=3)
    assert resp.status_code == 200 and resp.get_json()["created"] == 254, resp.get_json()["refused"][:3]

    category = "0101"
    table = (DATA / "boston311_2015_fixture_wards3_5_may.csv").read_bytes()
    resp = _post(client, headers, table, "cases.csv", level="incident", mode="commit", category_code=category)
    assert resp.status_code == 200 and resp.get_json()["created"] == len(CASES) == 1009, resp.get_json()

    names = dict(tx.execute(select(Grid.code, Grid.name).where(Grid.district_code == "990100")).all())
    located = tx.execute(select(Incident.description, Incident.grid_code, func.ST_X(Incident.geom),
                                func.ST_Y(Incident.geom)).where(Incident.district_code == "990100")).all()
    assert len(located) == 1009 and all(g for _, g, _, _ in located)
    original = {f["properties"]["ward_precinct"]: shape(f["geometry"]) for f in PRECINCTS["features"]}
    agree = on_border = 0
    for _desc, grid, x, y in located:
        pip = next(c["pip_ward_precinct"] for c in CASES
                   if abs(float(c["longitude"]) - x) < 1e-9 and abs(float(c["latitude"]) - y) < 1e-9)
        if names[grid] == pip:
            agree += 1
            continue
        # the point lies on (within the repair tolerance of) the border it shares with pip's precinct
        p = Point(x, y)
        assert original[names[grid]].distance(p) < 3e-5, (pip, names[grid])
        assert original[pip].boundary.distance(p) < 3e-5, (pip, names[grid])
        on_border += 1
    # 4 cases lie < 0.6 m from the ward 3/4/5 borders, where the ward file and the precinct file disagree
    assert (agree, on_border) == (1005, 4)
