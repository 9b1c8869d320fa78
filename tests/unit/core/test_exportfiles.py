"""The streamed list files (gridapp.core.exportfiles): CSV, Excel and GeoJSON from an iterator of
rows, written in chunks; cells cleaned and typed; sheets continued past the row limit; the
table's ``on_close`` called however the writing ends."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from gridapp.core import exportfiles
from gridapp.core.exportfiles import ExportRow, ExportTable

WHEN = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Shanghai


def _table(n: int, closed: list | None = None) -> ExportTable:
    rows = (ExportRow((i, "=SUM(A1)" if i == 0 else f"第{i}件", "012345678901", WHEN, date(2026, 3, 2), 1.5),
                      '{"type":"Point","coordinates":[109.1,35.1]}') for i in range(n))
    return ExportTable("案件", ["id", "text", "code", "at", "day", "x"], ["编号", "内容", "编码", "时间", "日期", "数"],
                       rows, on_close=(lambda: closed.append(True)) if closed is not None else None)


def test_csv_is_cleaned_local_and_chunked(monkeypatch):
    monkeypatch.setattr(exportfiles, "CHUNK", 100)
    chunks = list(exportfiles.csv_chunks(_table(50)))
    assert len(chunks) > 5 and not chunks[0].startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert rows[0] == ["编号", "内容", "编码", "时间", "日期", "数"] and len(rows) == 51
    assert rows[1][1] == "'=SUM(A1)" and rows[1][3] == "2026-03-02 00:30" and rows[1][4] == "2026-03-02"
    excel = b"".join(exportfiles.csv_chunks(_table(2), for_excel=True))
    assert excel.startswith("\ufeff".encode()) and excel.count("\ufeff".encode()) == 1
    assert "\t012345678901" in excel.decode("utf-8-sig")


def test_xlsx_typed_cells_and_sheets_past_the_limit(monkeypatch):
    monkeypatch.setattr(exportfiles, "XLSX_MAX_ROWS", 4)
    closed: list = []
    wb = load_workbook(io.BytesIO(b"".join(exportfiles.xlsx_chunks(_table(10, closed)))))
    assert [ws.title for ws in wb.worksheets] == ["案件", "案件 2", "案件 3"] and closed == [True]
    assert [ws.max_row for ws in wb.worksheets] == [5, 5, 3]  # the header on every sheet
    ws = wb.worksheets[0]
    assert ws["A1"].value == "编号" and ws["A1"].font.bold and ws.freeze_panes == "A2"
    assert ws["B2"].value == "'=SUM(A1)" and ws["B2"].data_type == "s"
    assert ws["C2"].value == "012345678901" and ws["C2"].data_type == "s"
    assert ws["D2"].value == datetime(2026, 3, 2, 0, 30) and ws["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["E2"].is_date and ws["F2"].value == 1.5


def test_geojson_is_one_feature_collection():
    fc = json.loads(b"".join(exportfiles.geojson_chunks(_table(3))))
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 3
    first = fc["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [109.1, 35.1]}
    assert first["properties"]["at"] == WHEN.isoformat() and first["properties"]["day"] == "2026-03-02"
    assert json.loads(b"".join(exportfiles.geojson_chunks(_table(0)))) == {"type": "FeatureCollection",
                                                                          "features": []}


def test_on_close_runs_when_the_reader_stops_early():
    closed: list = []
    chunks = exportfiles.csv_chunks(_table(10, closed))
    next(chunks)
    chunks.close()
    assert closed == [True]
