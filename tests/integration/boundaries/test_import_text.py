"""Text that an import would store wrongly is refused (issue 18): a Shapefile whose .cpg (or the
.dbf's language driver byte) names the wrong code page — undecodable, or Latin-1 mojibake of
Chinese — is refused naming the file and the ``encoding`` option, and that option reads it right;
incident table rows that are short, long, or carry NUL or oversized fields are refused by row,
with nothing written."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridapp.geo.encoding import EncodingError, shapefile_encoding
from gridapp.models import AdminArea, Incident

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def _zip_with_cpg(cpg: bytes | None, source: str = "gbk_no_cpg.zip") -> bytes:
    """The fixture Shapefile (GBK text, no .cpg) with ``cpg`` added as its .cpg."""
    out = io.BytesIO()
    with zipfile.ZipFile(DATA / source) as src, zipfile.ZipFile(out, "w") as dst:
        stem = next(n for n in src.namelist() if n.endswith(".shp"))[:-4]
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        if cpg is not None:
            dst.writestr(stem + ".cpg", cpg)
    return out.getvalue()


def _post(client, payload: bytes, name: str, headers, **form):
    form["file"] = (io.BytesIO(payload), name)
    return client.post("/api/v1/imports", data=form, headers=headers, content_type="multipart/form-data")


@pytest.mark.parametrize("cpg, says", [(b"UTF-8", "not valid utf-8"), (b"ISO-8859-1", "mojibake"),
                                       (b"1252", "mojibake"), (b"KLINGON", "unknown code page")])
def test_a_mislabelled_shapefile_is_refused_with_its_name(client, bearer, tx, cpg, says):
    resp = _post(client, _zip_with_cpg(cpg), "gbk.zip", bearer("admin"), level="district", mode="commit")
    assert resp.status_code == 422, resp.get_json()
    message = resp.get_json()["error"]["message"]
    assert says in message and ("encoding" in message) and (".cpg" in message or ".dbf" in message), message
    assert tx.get(AdminArea, "990200") is None


def test_the_encoding_option_reads_a_mislabelled_file(client, bearer, tx):
    resp = _post(client, _zip_with_cpg(b"UTF-8"), "gbk.zip", bearer("admin"), level="district", mode="commit",
                 encoding="GB18030")
    assert resp.status_code == 200, resp.get_json()
    assert tx.get(AdminArea, "990200").name == "测试区"
    bad = _post(client, _zip_with_cpg(None), "gbk.zip", bearer("admin"), level="district", encoding="EBCDIC-KLINGON")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "encoding"


def test_the_language_driver_byte_names_the_code_page():
    with zipfile.ZipFile(DATA / "gbk_no_cpg.zip") as src:
        dbf = bytearray(src.read(next(n for n in src.namelist() if n.endswith(".dbf"))))
    dbf[29] = 0x4D  # 936: Chinese GBK
    assert shapefile_encoding(bytes(dbf), None, "x.cpg", "x.dbf")[0] == "gbk"
    dbf[29] = 0x57  # ANSI (Windows-1252): Chinese bytes in it are mojibake
    with pytest.raises(EncodingError, match="x.dbf"):
        shapefile_encoding(bytes(dbf), None, "x.cpg", "x.dbf")
    dbf[29] = 0x00  # none: detected
    assert shapefile_encoding(bytes(dbf), None, "x.cpg", "x.dbf") == ("gb18030", "detected")


HEADER = "描述,纬度,经度,类别代码\n"
GOOD = "测试事件（虚构）,35.0700,109.0700,0101\n"


@pytest.mark.parametrize("bad_row, reason", [
    ("短行（虚构）,35.07\n", "the row has 2 fields, the header 4"),
    ("长行（虚构）,35.07,109.07,0101,多余\n", "the row has 5 fields, the header 4"),
    ("含\x00空字符（虚构）,35.07,109.07,0101\n", "control character"),
    ("超长" + "字" * 2100 + ",35.07,109.07,0101\n", "longer than 2000"),
])
def test_malformed_incident_rows_are_refused_by_row_and_nothing_is_written(client, bearer, tx, bad_row, reason):
    before = tx.scalar(select(func.count()).select_from(Incident))
    body = (HEADER + GOOD + bad_row + GOOD).encode("utf-8")
    resp = _post(client, body, "rows.csv", bearer("admin"), level="incident", mode="commit")
    assert resp.status_code == 422, resp.get_json()
    refused = resp.get_json()["refused"]
    assert [r["index"] for r in refused] == [1] and reason in refused[0]["reason"], refused
    assert tx.scalar(select(func.count()).select_from(Incident)) == before
    trailing = _post(client, (HEADER + GOOD.replace("\n", ",,\n")).encode(), "trailing.csv", bearer("admin"),
                     level="incident", mode="dry_run")
    assert trailing.status_code == 200, trailing.get_json()  # empty trailing cells (Excel) are not a long row
