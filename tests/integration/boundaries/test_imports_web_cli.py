"""The admin upload page and the CLI give the same report as the API."""
from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import select

from gridapp.models import AdminArea

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def test_upload_page_is_admin_only(client, login):
    login("district")
    assert client.get("/admin/imports").status_code == 403


def test_upload_page_shows_the_report(client, login, csrf_of, tx):
    login("admin")
    page = client.get("/admin/imports")
    assert page.status_code == 200 and 'id="import-form"' in page.text
    data = {"csrf_token": csrf_of(page.text), "level": "district", "mode": "commit", "tolerance_m": "2",
            "file": (io.BytesIO((DATA / "bowtie.geojson").read_bytes()), "bowtie.geojson")}
    resp = client.post("/admin/imports", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422
    assert 'id="refused"' in resp.text and "invalid geometry: Self-intersection" in resp.text
    assert tx.get(AdminArea, "990200") is None
    data.update(repair="y", file=(io.BytesIO((DATA / "bowtie.geojson").read_bytes()), "bowtie.geojson"))
    resp = client.post("/admin/imports", data=data, content_type="multipart/form-data")
    assert resp.status_code == 200 and 'id="repaired"' in resp.text
    assert tx.scalar(select(AdminArea.name).where(AdminArea.code == "990200")) == "测试区"


def test_cli_import_prints_the_report_and_fails_on_refusal(app, tx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["gridapp", "import", str(DATA / "point.geojson"), "--level", "district"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["refused"][0]["reason"].startswith("wrong geometry type Point")
    result = runner.invoke(args=["gridapp", "import", str(DATA / "district.kml"), "--level", "district"])
    assert result.exit_code == 0 and json.loads(result.output)["created"] == 1
