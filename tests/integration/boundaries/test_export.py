"""GET /api/v1/export: RFC 7946 GeoJSON, zipped Shapefile, CSV; export → import keeps the topology."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping, shape
from sqlalchemy import select

from gridapp.models import AdminArea

TOWNSHIP = "610202002"


def _neighbours(geoms: dict) -> set[tuple[str, str]]:
    """Pairs sharing more than ~10 m of boundary (within 1e-7° ≈ 1 cm of each other)."""
    codes = sorted(geoms)
    return {(a, b) for i, a in enumerate(codes) for b in codes[i + 1:]
            if shapely.length(shapely.intersection(geoms[a].boundary, geoms[b].buffer(1e-7))) > 1e-4}


def test_geojson_export_is_rfc7946(client, bearer):
    resp = client.get(f"/api/v1/export?level=community&code={TOWNSHIP}&format=geojson", headers=bearer("district"))
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    fc = json.loads(resp.data)
    assert "crs" not in fc and len(fc["features"]) > 3
    for f in fc["features"]:
        for poly in f["geometry"]["coordinates"]:
            ring = poly[0]
            assert shapely.LinearRing(ring).is_ccw
            assert all(len(repr(c).split(".")[-1]) <= 6 for xy in ring for c in xy)
    assert {f["properties"]["code"][:9] for f in fc["features"]} == {TOWNSHIP}


def test_shapefile_and_csv_exports(client, bearer):
    headers = bearer("district")
    resp = client.get("/api/v1/export?level=grid&code=610202002010&format=shp", headers=headers)
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert resp.status_code == 200 and {n[-4:] for n in names} >= {".shp", ".shx", ".dbf", ".prj", ".cpg"}
    resp = client.get("/api/v1/export?level=township&format=csv", headers=headers)
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert len(rows) == 7 and rows[0]["WKT"].startswith("MULTIPOLYGON") and rows[0]["层级"] == "街道/镇"
    assert client.get("/api/v1/export?level=planet&format=csv", headers=headers).status_code == 400
    assert client.get("/api/v1/export?level=grid&format=pdf", headers=headers).status_code == 400


def test_shapefile_export_reads_back_as_the_geojson_export(client, bearer):
    from gridapp.geo.io import read_features

    headers = bearer("district")
    url = f"/api/v1/export?level=community&code={TOWNSHIP}&format="
    fc = json.loads(client.get(url + "geojson", headers=headers).data)
    shp = read_features(client.get(url + "shp", headers=headers).data, "c.zip")
    assert [f.properties["code"] for f in shp.features] == [f["properties"]["code"] for f in fc["features"]]
    assert shp.declared_crs == "EPSG:4326" and shp.notes == []  # UTF-8 .cpg present
    for f, g in zip(shp.features, fc["features"], strict=True):
        assert f.geometry.equals(shape(g["geometry"])) and f.properties["name"] == g["properties"]["name"]


def test_export_then_import_keeps_the_topology(client, bearer, tx):
    headers = bearer("admin")
    originals = {a.code: to_shape(a.geom) for a in tx.scalars(
        select(AdminArea).where(AdminArea.parent_code == TOWNSHIP))}
    fc = json.loads(client.get(f"/api/v1/export?level=community&code={TOWNSHIP}&format=geojson",
                               headers=headers).data)
    outline = mapping(shapely.union_all([shape(f["geometry"]) for f in fc["features"]]))
    for level, code, parent in (("district", "990300", ""), ("township", "990300001", "990300")):
        feature = {"type": "Feature", "geometry": outline, "properties": {"code": code, "name": "测试"}}
        form = {"level": level, "parent_code": parent, "mode": "commit",
                "file": (io.BytesIO(json.dumps(feature).encode()), "o.geojson")}
        assert client.post("/api/v1/imports", data=form, headers=headers).status_code == 200
    for f in fc["features"]:  # the same features as communities 001… of the test township 990300001
        f["properties"]["code"] = f["properties"]["code"][-3:]
    form = {"level": "community", "parent_code": "990300001", "mode": "commit",
            "file": (io.BytesIO(json.dumps(fc).encode()), "c.geojson")}
    resp = client.post("/api/v1/imports", data=form, headers=headers)
    body = resp.get_json()
    # strict mode (no repair): no overlap, no gap, nothing outside the parent
    assert resp.status_code == 200 and body["created"] == len(originals) and body["repaired"] == [], body["refused"]
    imported = {a.code[-3:]: to_shape(a.geom) for a in tx.scalars(
        select(AdminArea).where(AdminArea.parent_code == "990300001"))}
    assert _neighbours(imported) == {(a[-3:], b[-3:]) for a, b in _neighbours(originals)}
    assert shapely.coverage_is_valid(list(imported.values()))
