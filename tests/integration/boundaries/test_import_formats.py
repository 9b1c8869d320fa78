"""GeoPackage and FlatGeobuf in and out (issue 21): the demo grids exported as GeoPackage import
in a dry run with nothing refused; a file of several layers asks for one, naming them; a field the
import was told to use but the file lacks is refused listing the file's fields (and naming the
10-character dBase truncation when that is the cause)."""
from __future__ import annotations

import io
import os
import tempfile
import zipfile

import numpy as np
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import box

COMMUNITY = "610202002010"


def _post(client, headers, data: bytes, name: str, **form):
    form["file"] = (io.BytesIO(data), name)
    return client.post("/api/v1/imports", data=form, headers=headers, content_type="multipart/form-data")


def test_demo_grids_as_geopackage_and_flatgeobuf_import_with_nothing_refused(client, bearer):
    headers = bearer("admin")
    for fmt in ("gpkg", "fgb"):
        resp = client.get(f"/api/v1/export?level=grid&code={COMMUNITY}&format={fmt}", headers=headers)
        assert resp.status_code == 200 and resp.headers["Content-Disposition"].endswith(f".{fmt}")
        report = _post(client, headers, resp.data, f"grids.{fmt}", level="grid", parent_code=COMMUNITY).get_json()
        assert not report["refused"] and report["replaced"] >= 4 and not report["committed"], report


def _two_layer_gpkg() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "two.gpkg")
        for layer in ("districts", "other"):
            pyogrio.raw.write(path, np.array([shapely.to_wkb(box(109.06, 35.08, 109.07, 35.09))], dtype=object),
                              [np.array(["990200"], dtype=object), np.array(["测试区"], dtype=object)],
                              fields=["code", "name"], geometry_type="Polygon", crs="EPSG:4326", driver="GPKG",
                              layer=layer, append=layer == "other")
        with open(path, "rb") as fh:
            return fh.read()


def test_a_layer_is_chosen_by_name_and_a_missing_field_lists_the_fields(client, bearer):
    headers = bearer("admin")
    data = _two_layer_gpkg()
    ask = _post(client, headers, data, "two.gpkg", level="district")
    assert ask.status_code == 422 and "districts, other" in ask.get_json()["error"]["message"]
    ok = _post(client, headers, data, "two.gpkg", level="district", layer="districts").get_json()
    assert ok["created"] == 1 and not ok["refused"]
    missing = _post(client, headers, data, "two.gpkg", level="district", layer="districts", code_field="adcode")
    assert missing.status_code == 422 and "its fields: code, name" in missing.get_json()["error"]["message"]


def test_a_truncated_dbase_field_name_is_named(client, bearer):
    headers = bearer("admin")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "d.shp")
        with pytest.warns(RuntimeWarning, match="district_c"):  # dBase keeps 10 characters of a field name
            pyogrio.raw.write(path, np.array([shapely.to_wkb(box(109.06, 35.08, 109.07, 35.09))], dtype=object),
                              [np.array(["990200"], dtype=object), np.array(["测试区"], dtype=object)],
                              fields=["district_code", "name"], geometry_type="Polygon", crs="EPSG:4326",
                              encoding="UTF-8", driver="ESRI Shapefile")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name in os.listdir(tmp):
                zf.write(os.path.join(tmp, name), name)
    resp = _post(client, headers, buf.getvalue(), "d.zip", level="district", code_field="district_code")
    message = resp.get_json()["error"]["message"]
    assert resp.status_code == 422 and "'district_c'" in message and "10 characters" in message
