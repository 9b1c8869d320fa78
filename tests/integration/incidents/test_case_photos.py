"""Photos: JPEG/PNG/WebP by content, size limit, stored by content hash with a thumbnail under
the instance folder, EXIF GPS offered; everything else refused and nothing written."""
from __future__ import annotations

import io

import pytest
from caseutil import grid_point, jpeg_bytes
from PIL import Image
from sqlalchemy import func, select

from gridapp.incidents import photos
from gridapp.models import Photo
from gridapp.settings import photo_settings


def _upload(client, headers, data: bytes, name="p.jpg"):
    return client.post("/api/v1/photos", data={"file": (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")


def test_jpeg_with_gps_is_stored_by_hash_with_thumbnail(app, client, tx, bearer):
    headers = bearer("worker")
    data = jpeg_bytes((1200, 900), gps=(109.0577241, 35.0703392))
    resp = _upload(client, headers, data)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["content_type"] == "image/jpeg" and (body["width"], body["height"]) == (1200, 900)
    assert body["gps"] == pytest.approx({"lon": 109.0577241, "lat": 35.0703392}, abs=1e-6)
    import hashlib
    sha = hashlib.sha256(data).hexdigest()
    assert body["ref"] == f"photo:{sha}"
    with app.app_context():
        original, thumb = photos.paths(photo_settings(), sha, "jpg")
    assert original.read_bytes() == data
    assert max(Image.open(thumb).size) == 320
    again = _upload(client, headers, data, "same-content-other-name.jpg")
    assert again.status_code == 201 and again.get_json()["ref"] == body["ref"]
    assert tx.scalar(select(func.count()).select_from(Photo).where(Photo.sha256 == sha)) == 1


@pytest.mark.parametrize("fmt,ctype", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_are_accepted(client, tx, bearer, fmt, ctype):
    resp = _upload(client, bearer("worker"), jpeg_bytes(fmt=fmt, color="blue"), "x.bin")
    assert resp.status_code == 201 and resp.get_json()["content_type"] == ctype
    assert resp.get_json()["gps"] is None


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "GIF")
    return buf.getvalue()


@pytest.mark.parametrize("data,name,status,code", [
    (_gif(), "looks.jpg", 400, "photo_type"),
    (b"%PDF-1.4 not an image", "scan.jpg", 400, "photo_type"),
    (jpeg_bytes()[:200], "truncated.jpg", 400, "photo_type"),
    (b"", "empty.jpg", 400, "photo_empty"),
], ids=["gif-named-jpg", "pdf", "truncated-jpeg", "empty"])
def test_other_files_are_refused_and_nothing_is_written(client, tx, bearer, data, name, status, code):
    before = tx.scalar(select(func.count()).select_from(Photo))
    resp = _upload(client, bearer("worker"), data, name)
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code
    assert name in resp.get_json()["error"]["message"]
    assert tx.scalar(select(func.count()).select_from(Photo)) == before


def test_size_limit(app, client, tx, bearer, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 1024)
    resp = _upload(client, bearer("worker"), jpeg_bytes((400, 400)))
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "photo_too_large"
    assert client.post("/api/v1/photos", data={}, headers=bearer("worker")).status_code == 400


def test_report_with_photo_and_who_may_see_it(client, tx, bearer, login, make_user):
    worker = bearer("worker")
    ref = _upload(client, worker, jpeg_bytes(color="green")).get_json()["ref"]
    lon, lat = grid_point()
    bad = client.post("/api/v1/incidents", json={"category_code": "0102", "description": "x", "lon": lon,
                                                 "lat": lat, "photos": ["photo:" + "0" * 64]}, headers=worker)
    assert bad.status_code == 404 and bad.get_json()["error"]["code"] == "photo_not_found"  # issue 18: as absent
    assert bad.get_json()["error"]["field"] == "photos"
    ok = client.post("/api/v1/incidents", json={"category_code": "0102", "description": "带照片（虚构）",
                                                "lon": lon, "lat": lat, "photos": [ref]}, headers=worker)
    assert ok.status_code == 201
    case = client.get(f"/api/v1/incidents/{ok.get_json()['id']}", headers=bearer("hongqi")).get_json()
    assert case["history"][0]["action"] == "report" and case["history"][0]["attachments"] == [ref]
    login("hongqi")
    thumb = client.get(f"/photos/{ref[6:]}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert f"/photos/{ref[6:]}/thumb" in client.get(f"/cases/{ok.get_json()['id']}").text
    client.post("/logout")
    outsider = make_user("secretary", "610202002001")
    login(outsider.username)
    assert client.get(f"/photos/{ref[6:]}").status_code == 404
