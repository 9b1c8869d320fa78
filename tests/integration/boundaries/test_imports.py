"""POST /api/v1/imports on the demo district: each kind of bad input is refused precisely and
writes nothing; repairs are reported; formats, CRS and encodings are read (tests/data/imports)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import box, mapping
from sqlalchemy import func, select

from gridapp.geo.gcj02 import wgs84_to_gcj02_xy
from gridapp.models import AdminArea, Incident

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def _post(client, headers, name: str, payload: bytes | None = None, **form):
    form = {k: str(v) for k, v in form.items()}
    form["file"] = (io.BytesIO(payload if payload is not None else (DATA / name).read_bytes()), name)
    return client.post("/api/v1/imports", data=form, headers=headers, content_type="multipart/form-data")


def _areas(tx) -> int:
    return tx.scalar(select(func.count()).select_from(AdminArea))


@pytest.mark.parametrize("name,form,reason", [
    ("bowtie.geojson", {"level": "district"}, "invalid geometry: Self-intersection"),
    ("collapsed_ring.geojson", {"level": "district"}, "invalid geometry"),
    ("collapsed_ring.geojson", {"level": "district", "repair": 1}, "no area left after make_valid"),
    ("point.geojson", {"level": "district"}, "wrong geometry type Point"),
    ("null_and_empty.geojson", {"level": "district"}, "null geometry"),
    ("missing_and_duplicate_code.geojson", {"level": "district"}, "missing code"),
    ("missing_and_duplicate_code.geojson", {"level": "district"}, "duplicate code 990200 (also feature 0)"),
    ("unknown_township_name.geojson", {"level": "township", "parent_code": "610202"},
     "no code, and the name 不存在街道 matches no township under 610202"),
    ("code_not_in_hierarchy.geojson", {"level": "township", "parent_code": "610202"},
     "code 61020299 is not a 9-digit township code under 610202"),
    ("code_name_mismatch.geojson", {"level": "township", "parent_code": "610202"},
     "code 610202002 is 红旗街街道 in the hierarchy, the file says 七一路街道"),
    ("township_overlapping.geojson", {"level": "township", "parent_code": "610202"}, "overlaps 610202"),
    ("metres_no_crs.geojson", {"level": "district"}, "plainly metres, not degrees, and no CRS is declared"),
    ("outside_extent.geojson", {"level": "district"}, "outside the configured extent"),
])
def test_bad_input_is_refused_precisely_and_nothing_is_written(client, bearer, tx, name, form, reason):
    before = _areas(tx)
    resp = _post(client, bearer("admin"), name, mode="commit", **form)
    assert resp.status_code == 422, resp.get_json()
    body = resp.get_json()
    assert body["created"] == 0 and body["committed"] is False
    assert any(reason in r["reason"] for r in body["refused"]), body["refused"]
    assert all({"index", "code", "name", "reason"} <= set(r) for r in body["refused"])
    assert _areas(tx) == before


def test_null_and_empty_are_reported_per_feature(client, bearer):
    body = _post(client, bearer("admin"), "null_and_empty.geojson", level="district", mode="commit").get_json()
    assert [(r["index"], r["code"], r["reason"]) for r in body["refused"]] == [
        (0, "990200", "null geometry"), (1, "990201", "empty geometry")]


def test_repair_makes_a_bowtie_valid_and_reports_it(client, bearer, tx):
    resp = _post(client, bearer("admin"), "bowtie.geojson", level="district", mode="commit", repair=1)
    body = resp.get_json()
    assert resp.status_code == 200 and body["created"] == 1 and body["committed"]
    assert body["repaired"][0]["code"] == "990200" and "made valid (Self-intersection" in body["repaired"][0]["fix"]
    geom = to_shape(tx.get(AdminArea, "990200").geom)
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2


def test_dry_run_reports_and_writes_nothing(client, bearer, tx):
    resp = _post(client, bearer("admin"), "crs4490_bom_z.geojson", level="district", mode="dry_run")
    assert resp.status_code == 200 and resp.get_json()["created"] == 1 and not resp.get_json()["committed"]
    assert tx.get(AdminArea, "990200") is None


@pytest.mark.parametrize("name", ["crs4490_bom_z.geojson", "projected_4545.geojson", "gbk_no_cpg.zip",
                                  "utf8_with_cpg.zip", "district.kml"])
def test_formats_crs_and_encodings_give_the_same_2d_polygon(client, bearer, tx, name):
    resp = _post(client, bearer("admin"), name, level="district", mode="commit")
    assert resp.status_code == 200, resp.get_json()
    area = tx.get(AdminArea, "990200")
    assert area.name == "测试区" and area.boundary_source == "imported"
    geom = to_shape(area.geom)
    assert not geom.has_z and geom.geom_type == "MultiPolygon"
    assert geom.symmetric_difference(box(109.06, 35.08, 109.07, 35.09)).area < 1e-12
    assert tx.scalar(select(func.ST_SRID(AdminArea.geom)).where(AdminArea.code == "990200")) == 4326


def test_declared_crs_option_reads_metres(client, bearer, tx):
    data = json.loads((DATA / "projected_4545.geojson").read_text("utf-8"))
    del data["crs"]
    payload = json.dumps(data).encode()
    refused = _post(client, bearer("admin"), "p.geojson", payload, level="district", mode="commit")
    assert refused.status_code == 422
    ok = _post(client, bearer("admin"), "p.geojson", payload, level="district", mode="commit", crs="EPSG:4545")
    assert ok.status_code == 200 and "CRS: EPSG:4545" in ok.get_json()["notes"]


def test_gcj02_option_converts_to_wgs84(client, bearer, tx):
    gcj = shapely.transform(box(109.06, 35.08, 109.07, 35.09), wgs84_to_gcj02_xy)
    payload = json.dumps({"type": "Feature", "geometry": mapping(gcj),
                          "properties": {"code": "990200", "name": "测试区"}}).encode()
    resp = _post(client, bearer("admin"), "g.geojson", payload, level="district", mode="commit", gcj02=1)
    assert resp.status_code == 200
    geom = to_shape(tx.get(AdminArea, "990200").geom)
    assert np.allclose(shapely.get_coordinates(geom).min(axis=0), [109.06, 35.08], atol=1e-8)


def test_community_matched_by_normalised_name_is_replaced(client, bearer, tx):
    hongqi = tx.get(AdminArea, "610202002010")
    payload = json.dumps({"type": "Feature", "geometry": mapping(to_shape(hongqi.geom)),
                          "properties": {"name": "红旗社区居委会"}}).encode()
    # repair: the derived demo polygons overlap their neighbours by floating-point slivers (< 1 m²)
    resp = _post(client, bearer("admin"), "c.geojson", payload, level="community", parent_code="610202002",
                 mode="dry_run", repair=1)
    assert resp.status_code == 200, resp.get_json()["refused"]
    assert (resp.get_json()["replaced"], resp.get_json()["created"]) == (1, 0)


def test_a_shrunken_township_leaves_a_gap_in_the_district(client, bearer, tx):
    town = to_shape(tx.get(AdminArea, "610202002").geom)
    payload = json.dumps({"type": "Feature", "geometry": mapping(town.buffer(-0.002)),
                          "properties": {"code": "610202002"}}).encode()
    resp = _post(client, bearer("admin"), "t.geojson", payload, level="township", parent_code="610202", mode="commit")
    assert resp.status_code == 422
    [gap] = resp.get_json()["refused"]
    assert gap["index"] is None and gap["code"] == "610202" and "gap of" in gap["reason"]


def test_grid_outside_its_community_is_refused(client, bearer, tx):
    payload = json.dumps({"type": "Feature", "geometry": mapping(box(109.0, 35.0, 109.2, 35.2)),
                          "properties": {"code": "610202002010001"}}).encode()
    resp = _post(client, bearer("admin"), "g.geojson", payload, level="grid", parent_code="610202002010",
                 mode="commit")
    assert resp.status_code == 422 and "outside its parent" in resp.get_json()["refused"][0]["reason"]


@pytest.mark.parametrize("name,created", [("incidents_gbk.csv", 2), ("incidents_xy.xlsx", 1)])
def test_incidents_in_bulk_are_located(client, bearer, tx, name, created):
    before = tx.scalar(select(func.count()).select_from(Incident))
    resp = _post(client, bearer("admin"), name, level="incident", mode="commit", category_code="0101")
    assert resp.status_code == 200 and resp.get_json()["created"] == created, resp.get_json()
    rows = tx.execute(select(Incident.grid_code, Incident.community_code).order_by(Incident.id.desc())
                      .limit(created)).all()
    assert all(c.startswith("610202") for _, c in rows)
    assert tx.scalar(select(func.count()).select_from(Incident)) == before + created


def test_incident_outside_every_district_refuses_the_whole_table(client, bearer, tx):
    before = tx.scalar(select(func.count()).select_from(Incident))
    resp = _post(client, bearer("admin"), "incidents_outside.csv", level="incident", mode="commit")
    assert resp.status_code == 422
    [row] = resp.get_json()["refused"]
    assert row["index"] == 2 and "outside every community" in row["reason"]
    assert tx.scalar(select(func.count()).select_from(Incident)) == before


def test_imports_are_admin_only(client, bearer, tx):
    resp = _post(client, bearer("district"), "bowtie.geojson", level="district", mode="commit", repair=1)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "admin_only"
    assert _post(client, {}, "bowtie.geojson", level="district").status_code == 401


def test_bad_options_and_unreadable_files(client, bearer, tx):
    headers = bearer("admin")
    assert _post(client, headers, "bowtie.geojson", level="planet").status_code == 400
    assert _post(client, headers, "bowtie.geojson", level="grid", parent_code="nope").status_code == 400
    resp = _post(client, headers, "x.geojson", b"{not json", level="district")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "unreadable_file"
