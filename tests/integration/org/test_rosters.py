"""Rosters in and out: row-level errors, all-or-nothing import, Excel export with text cells and masking."""
from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from gridapp.models import AuditEntry, GridWorker, PartyMember, PiiView, StationedUnit

HONGQI = "610202002010"
GRID = HONGQI + "001"
HEADER = "姓名,类型,角色,电话,身份证号,网格编码,所在单位,报到日期\n"


def _count(tx, model):
    return tx.scalar(select(func.count()).select_from(model).where(model.community_code == HONGQI))


def _upload(client, csrf_of, kind, name, content):
    token = csrf_of(client.get(f"/org/community/{HONGQI}").text)
    return client.post(f"/org/community/{HONGQI}/import", data={
        "csrf_token": token, "kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def test_bad_csv_writes_nothing_and_lists_row_errors(client, login, csrf_of, tx):
    login("hongqi")
    before, audits = _count(tx, PartyMember), tx.scalar(select(func.count()).select_from(AuditEntry))
    content = (HEADER + f"导入党员甲,居民党员,党员,13800000001,11010519491231002X,{GRID},,\n"
               f"导入党员乙,在职党员,党员,,,{GRID},,\n"
               f"导入党员丙,居民党员,党员,,61020219000101000Y,{GRID},,\n"
               f"导入党员丁,居民党员,党员,,,999999999999001,,\n").encode()
    resp = _upload(client, csrf_of, "members", "members.csv", content)
    assert resp.status_code == 400
    assert "未写入任何数据" in resp.text
    assert [(3, "所在单位"), (4, "身份证号"), (5, "网格编码")] == [
        (int(cells[0]), cells[1]) for cells in _error_rows(resp.text)]
    assert _count(tx, PartyMember) == before
    assert tx.scalar(select(func.count()).select_from(AuditEntry)) == audits


def _error_rows(html: str) -> list[list[str]]:
    import re
    table = html.split('id="import-errors"')[1].split("</table>")[0]
    return [re.findall(r"<td>(.*?)</td>", row)[:2] for row in table.split("<tr>")[2:]]


def test_good_csv_and_xlsx_are_imported(client, login, csrf_of, tx):
    login("hongqi")
    members, workers, units = _count(tx, PartyMember), _count(tx, GridWorker), _count(tx, StationedUnit)
    content = (HEADER + f"导入党员甲,居民党员,党小组长,13800000001,11010519491231002x,{GRID},,\n"
               f"导入党员乙,在职党员,党员,,,{GRID},测试单位,2024-05-01\n").encode("utf-8-sig")
    resp = _upload(client, csrf_of, "members", "members.csv", content)
    assert resp.status_code == 302, resp.text
    assert _count(tx, PartyMember) == members + 2
    imported = tx.scalar(select(PartyMember).where(PartyMember.name == "导入党员甲"))
    assert imported.id_number == "11010519491231002X" and imported.role == "leader"
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "类型", "电话", "身份证号", "网格编码"])
    ws.append(["导入网格员", "兼职", 13800000002, None, f"{GRID}，{HONGQI}002"])
    buf = io.BytesIO()
    wb.save(buf)
    assert _upload(client, csrf_of, "workers", "w.xlsx", buf.getvalue()).status_code == 302
    worker = tx.scalar(select(GridWorker).where(GridWorker.name == "导入网格员"))
    assert worker.phone == "13800000002" and [(g.grid_code, g.is_primary) for g in worker.grids] == [
        (GRID, True), (HONGQI + "002", False)]
    units_csv = "单位名称,单位类型,兼职委员,职务,任职日期\n测试驻区单位,企业,王某,兼职委员,2024-01-01\n".encode()
    assert _upload(client, csrf_of, "units", "u.csv", units_csv).status_code == 302
    assert _count(tx, StationedUnit) == units + 1 and _count(tx, GridWorker) == workers + 1


def test_unreadable_file_is_refused(client, login, csrf_of, tx):
    login("hongqi")
    before = _count(tx, PartyMember)
    resp = _upload(client, csrf_of, "members", "members.xlsx", b"not a workbook")
    assert resp.status_code == 400 and "文件无法读取" in resp.text
    assert _upload(client, csrf_of, "members", "members.txt", b"x").status_code == 400
    assert _count(tx, PartyMember) == before


def _export(client, login, username, query=""):
    login(username)
    resp = client.get(f"/org/community/{HONGQI}/export.xlsx{query}")
    assert resp.status_code == 200
    return load_workbook(io.BytesIO(resp.data))


def test_export_keeps_text_and_masks_for_district(client, login, tx):
    before = tx.scalar(select(func.count()).select_from(PiiView))
    wb = _export(client, login, "district")
    ws = wb["党员"]
    assert [c.value for c in ws[1]][:5] == ["姓名", "类型", "角色", "电话", "身份证号"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == _count(tx, PartyMember)
    assert all(isinstance(r[3], str) and "****" in r[3] and isinstance(r[4], str) and "*" in r[4] for r in rows)
    assert ws["E2"].number_format == "@"
    assert tx.scalar(select(func.count()).select_from(PiiView)) == before


def test_secretary_export_is_masked_by_default(client, login, tx):
    before = tx.scalar(select(func.count()).select_from(PiiView))
    rows = list(_export(client, login, "hongqi")["党员"].iter_rows(min_row=2, values_only=True))
    assert rows and all("****" in r[3] and "*" in r[4] for r in rows)
    assert tx.scalar(select(func.count()).select_from(PiiView)) == before
    assert client.get(f"/org/community/{HONGQI}/export.xlsx?full=1").status_code == 200
    login("district")
    assert client.get(f"/org/community/{HONGQI}/export.xlsx?full=1").status_code == 403


def test_export_full_for_secretary_is_logged(client, login, tx):
    wb = _export(client, login, "hongqi", "?full=1")
    rows = list(wb["党员"].iter_rows(min_row=2, values_only=True))
    full = {m.name: m for m in tx.scalars(select(PartyMember).where(PartyMember.community_code == HONGQI))}
    assert all(r[4] == full[r[0]].id_number and r[3] == full[r[0]].phone for r in rows)
    assert any(r[4].endswith("X") for r in rows if r[4])
    logged = tx.scalar(select(func.count()).select_from(PiiView).where(PiiView.channel == "export"))
    workers = list(wb["网格员"].iter_rows(min_row=2, values_only=True))
    expected = sum(bool(r[3]) + bool(r[4]) for r in rows) + sum(bool(w[2]) + bool(w[3]) for w in workers)
    assert logged == expected > 0


def test_other_community_cannot_export_or_import(client, login, csrf_of):
    login("hongqi")
    assert client.get("/org/community/610202001001/export.xlsx").status_code == 403
    token = csrf_of(client.get(f"/org/community/{HONGQI}").text)
    resp = client.post("/org/community/610202001001/import", data={
        "csrf_token": token, "kind": "units", "file": (io.BytesIO("单位名称\n甲\n".encode()), "u.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 403
