"""Hostile uploads: zipped Shapefiles that climb out of their folder, unpack to gigabytes or hold
thousands of entries are refused with a clear 422 and nothing written; a request over
MAX_CONTENT_LENGTH gets 413; a photo is judged by its content, not its name."""
from __future__ import annotations

import io
import zipfile

import pytest
from caseutil import jpeg_bytes
from sqlalchemy import func, select

from gridapp.geo import io as geoio
from gridapp.geo import tables as geotables
from gridapp.models import Grid

IMPORTS = "tests/data/imports"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buf.getvalue()


def _shapefile_members(prefix: str) -> dict[str, bytes]:
    """The members of a real zipped Shapefile of the test data, renamed to ``prefix`` + ext."""
    with zipfile.ZipFile(f"{IMPORTS}/utf8_with_cpg.zip") as archive:
        return {prefix + name[name.rindex("."):]: archive.read(name) for name in archive.namelist()}


def _import(client, headers, data: bytes, name: str = "grids.zip"):
    return client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), "level": "grid", "parent_code": "610202002010",
                             "mode": "commit"})


@pytest.mark.parametrize("prefix", ["../../../tmp/gridapp-evil", "/tmp/gridapp-evil", "a\\..\\..\\evil",
                                    "C:/evil", "sub/../../evil"])
def test_zip_with_path_traversal_is_refused(client, tx, bearer, prefix):
    grids = tx.scalar(select(func.count()).select_from(Grid))
    resp = _import(client, bearer("admin"), _zip(_shapefile_members(prefix)))
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["code"] == "unreadable_file"
    assert "unsafe path" in resp.get_json()["error"]["message"]
    tx.expire_all()
    assert tx.scalar(select(func.count()).select_from(Grid)) == grids


def test_zip_bomb_is_refused(client, tx, bearer):
    members = _shapefile_members("layer")
    members["layer.dbf"] = b"\0" * (8 * 1024 * 1024)   # 8 MB of zeros deflate to a few kB
    resp = _import(client, bearer("admin"), _zip(members))
    assert resp.status_code == 422
    assert "zip bomb" in resp.get_json()["error"]["message"]


def test_zip_with_too_many_entries_is_refused(client, tx, bearer):
    members = _shapefile_members("layer") | {f"junk/{i}.txt": b"x" for i in range(100)}
    resp = _import(client, bearer("admin"), _zip(members))
    assert resp.status_code == 422
    assert "entries" in resp.get_json()["error"]["message"]


def test_unpacked_size_is_capped(monkeypatch):
    data = _zip(_shapefile_members("layer"))
    monkeypatch.setattr(geoio, "ZIP_MAX_UNPACKED", 50)
    with pytest.raises(geoio.ReadError, match="unpacks to"):
        geoio.read_shapefile_zip(data)
    # the running budget also stops a reader whose headers under-declare (checked member by member)
    budget = [10]
    with zipfile.ZipFile(io.BytesIO(data)) as archive, pytest.raises(geoio.ReadError, match="zip bomb"):
        geoio._read_member(archive, "layer.dbf", budget)


def test_a_sane_zipped_shapefile_still_reads():
    from gridapp.geo import io as geoio

    result = geoio.read_shapefile_zip(_zip(_shapefile_members("folder/layer")))
    assert len(result.features) >= 1


def test_request_over_the_size_limit_is_413(app, client, tx, bearer, monkeypatch):
    headers = bearer("worker")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    resp = client.post("/api/v1/photos", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"\xff" * 20_000), "big.jpg")})
    assert resp.status_code == 413
    assert resp.get_json()["error"]["message"]


def test_photo_is_judged_by_content_not_name(client, tx, bearer):
    headers = bearer("worker")
    html = b"<html><script>alert(1)</script></html>"
    resp = client.post("/api/v1/photos", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(html), "photo.jpg")})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "photo_type"
    resp = client.post("/api/v1/photos", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(jpeg_bytes()), "../../<b>x</b>.exe")})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["content_type"] == "image/jpeg" and body["ref"].startswith("photo:")


def test_hostile_imported_attributes_come_back_literally(client, tx, login, csrf_of):
    import json
    from html import escape

    from shapely.geometry import box, mapping

    hostile = "</script><img src=x onerror=px=1>${7*7}`\\u0041"
    payload = json.dumps({"type": "Feature", "geometry": mapping(box(109.0, 35.0, 109.2, 35.2)),
                          "properties": {"code": "610202002010001", "name": hostile}}).encode()
    login("admin")
    page = client.get("/admin/imports")
    resp = client.post("/admin/imports", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(page.text), "file": (io.BytesIO(payload), hostile + ".geojson"),
        "level": "grid", "parent_code": "610202002010", "mode": "dry_run"})
    assert resp.status_code == 422                       # refused: outside its community
    assert "<img src=x" not in resp.text and escape(hostile, quote=False) in resp.text


def _workbook_with(extra: dict[str, bytes]) -> bytes:
    """A real .xlsx (one header row and one data row) with ``extra`` members added to its zip."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["经度", "纬度", "描述"])
    book.active.append([109.07, 35.07, "测试"])
    buf = io.BytesIO()
    book.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for name, content in extra.items():
            dst.writestr(name, content)
    return out.getvalue()


def test_xlsx_bombs_are_refused_by_every_table_reader(client, tx, bearer):
    """An .xlsx is a zip: the incident import, the roster import and the place import (which share
    the roster reader) refuse a workbook with a bomb member or a path climbing out, before openpyxl."""
    from gridapp.errors import BadInput
    from gridapp.org import rosters

    assert geotables.read_table(_workbook_with({}), "a.xlsx")[0] == ["经度", "纬度", "描述"]
    assert rosters.read_table("a.xlsx", _workbook_with({}))[0] == ["经度", "纬度", "描述"]
    bomb = _workbook_with({"xl/media/zeros.bin": b"\0" * (8 * 1024 * 1024)})
    climb = _workbook_with({"../evil.xml": b"<x/>"})
    for data, reason in ((bomb, "zip bomb"), (climb, "unsafe path")):
        with pytest.raises(geoio.ReadError, match=reason):
            geotables.read_table(data, "a.xlsx")
        with pytest.raises(BadInput, match=reason):
            rosters.read_table("a.xlsx", data)
    resp = client.post("/api/v1/places/import", headers=bearer("admin"), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(bomb), "places.xlsx")})
    assert resp.status_code == 400 and "zip bomb" in resp.get_json()["error"]["message"]
