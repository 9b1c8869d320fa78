"""Every export looks finished (issue 24): it opens in openpyxl with typed cells (dates are date
cells, numbers numbers), Chinese headers, fitted column widths and a frozen bold header, and it
downloads under a Chinese file name (RFC 5987 ``filename*``). Table-driven over every .xlsx
export; the boundary Shapefile's members and CSV header likewise."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

HONGQI, TOWNSHIP = "610202002010", "610202002"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: (path, who) → {sheet title: header row}; every .xlsx download of the web pages and the API
XLSX_EXPORTS = {
    (f"/org/community/{HONGQI}/export.xlsx", "district"): {"党员": 1, "网格员": 1, "驻区单位": 1},
    (f"/dashboard/report.xlsx?level=township&code={TOWNSHIP}&from=2026-11-01&to=2026-11-30", "district"):
        {"辖区统计": 3},
    (f"/inspection-figures?level=community&code={HONGQI}&from=2026-11-01&to=2026-11-30&format=xlsx", "district"):
        {"检查整治统计": 1},
    (f"/api/v1/inspection-figures?level=community&code={HONGQI}&from=2026-11-01&to=2026-11-30&format=xlsx",
     "district"): {"检查整治统计": 1},
}


def _filename(resp) -> str:
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition, disposition
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def _get(client, login, bearer, path, who):
    if path.startswith("/api/"):
        return client.get(path, headers=bearer(who))
    login(who)
    return client.get(path)


@pytest.mark.parametrize("path, who", list(XLSX_EXPORTS))
def test_every_workbook_is_typed_chinese_and_fitted(client, login, bearer, path, who):
    resp = _get(client, login, bearer, path, who)
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = _filename(resp)
    assert name.endswith(".xlsx") and CJK.search(name), name
    wb = load_workbook(io.BytesIO(resp.data))
    assert {ws.title: row for ws, row in zip(wb.worksheets, XLSX_EXPORTS[(path, who)].values(), strict=True)} \
        == XLSX_EXPORTS[(path, who)]
    for ws in wb.worksheets:
        header_row = XLSX_EXPORTS[(path, who)][ws.title]
        header = [c.value for c in ws[header_row]]
        assert header and all(isinstance(h, str) and CJK.search(h) for h in header), (ws.title, header)
        assert all(c.font.bold for c in ws[header_row])
        assert ws.freeze_panes and int(re.sub(r"\D", "", ws.freeze_panes)) == header_row + 1
        for i in range(1, len(header) + 1):
            width = ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width
            assert width and width >= len(str(header[i - 1])) * 2 - 2, (ws.title, header[i - 1], width)
        for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
            for head, value in zip(header, row, strict=False):
                if head.endswith("日期") and value is not None:
                    assert isinstance(value, datetime | date), (ws.title, head, value)  # a date cell, not text
                if isinstance(value, str):
                    assert not re.fullmatch(r"\d{4}-\d\d-\d\d", value), (ws.title, head, value)
                    assert value not in ("district", "township", "community", "grid"), (ws.title, head, value)


def test_roster_dates_are_date_cells(client, login):
    login("district")
    wb = load_workbook(io.BytesIO(client.get(f"/org/community/{HONGQI}/export.xlsx").data))
    ws = wb["党员"]
    column = [c.value for c in ws[1]].index("报到日期")
    cells = [row[column] for row in ws.iter_rows(min_row=2) if row[column].value is not None]
    assert cells and all(isinstance(c.value, datetime) for c in cells)  # openpyxl reads date cells as datetime
    assert {c.number_format for c in cells} == {"yyyy-mm-dd"}


def test_inspection_figures_name_levels_in_chinese(client, login):
    login("district")
    resp = client.get(f"/inspection-figures?level=township&code={TOWNSHIP}&from=2026-11-01&to=2026-11-30&format=xlsx")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows[:2]] == ["街道/镇", "社区/村"]
    assert rows[0][3] == datetime(2026, 11, 1) and rows[0][4] == datetime(2026, 11, 30)
    assert _filename(resp).startswith("检查整治统计-")


def test_boundary_exports_name_their_files_and_headers_in_chinese(client, bearer):
    headers = bearer("district")
    resp = client.get(f"/api/v1/export?level=grid&code={HONGQI}&format=shp", headers=headers)
    stem = _filename(resp).removesuffix(".zip")
    assert stem == f"网格_{HONGQI}"
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert sorted(n.rsplit(".", 1)[0] for n in names) == [stem] * len(names) and len(names) >= 5
    resp = client.get(f"/api/v1/export?level=township&code={TOWNSHIP[:6]}&format=csv", headers=headers)
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once (issue 21)
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8"))))
    assert rows[0] == ["编码", "名称", "层级", "上级编码", "WKT"]
    assert rows[1][2] == "街道/镇" and rows[1][4].startswith("MULTIPOLYGON")
    assert CJK.search(_filename(resp))
