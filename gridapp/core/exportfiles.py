"""Exports of lists as files written while they are sent: CSV, Excel (.xlsx) and GeoJSON in
constant memory, whatever the number of rows (issue 23: 1,000,000 cases without holding them).

A list to export is an :class:`ExportTable`: column keys (GeoJSON property names, stable
English), column headers (translated, for CSV and Excel) and an iterator of :class:`ExportRow`
(the cell values in column order and, for maps, the geometry as GeoJSON text from PostGIS
``ST_AsGeoJSON``). Domain code builds the table from its list's own query (the filters are parsed
and checked when the table is built, so a bad filter is a 4xx before any byte is sent) and reads
the rows with a server-side cursor (SQLAlchemy ``yield_per``), so only one batch is in memory.

* CSV: :func:`csv_chunks`, the cells as :func:`gridapp.core.tabular.csv_cell` (formula-like text
  neutralised; the "for Excel" variant with a byte-order mark and tab-protected digit strings).
* Excel: :func:`xlsx_chunks`, an openpyxl *write-only* workbook (rows are written to a temporary
  XML file as they come, the zip to a temporary file, which is then sent in chunks); text cleaned
  as :func:`gridapp.core.tabular.excel_value` (stored as text cells: digit strings stay text),
  dates and local date-times as date cells with their formats (only they carry a style: a style
  per cell would cost more than the rest of the row); the header bold and frozen; column widths
  from the header and :attr:`ExportTable.widths`. A sheet
  holds at most :data:`XLSX_MAX_ROWS` rows: more continue on a next sheet (``<title> 2`` …).
* GeoJSON: :func:`geojson_chunks`, one FeatureCollection (RFC 7946, WGS84 lon/lat), properties
  by column key; dates and instants as ISO 8601 (instants in UTC).
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, func, select

from .tabular import DATE_FORMAT, DATETIME_FORMAT, MAX_WIDTH, MIN_WIDTH, csv_cell, display_width, excel_value

FORMATS = ("csv", "xlsx", "geojson")
#: rows per sheet (Excel's limit is 1,048,576 rows including the header)
XLSX_MAX_ROWS = 1_000_000
#: bytes per chunk sent
CHUNK = 64 * 1024
#: rows fetched per round trip of the server-side cursor
BATCH = 2000


@dataclass
class ExportRow:
    """One row: ``values`` in column order; ``geometry`` GeoJSON text (SRID 4326) or None."""

    values: tuple
    geometry: str | None = None


@dataclass
class ExportTable:
    """A list ready to be written: ``title`` (sheet title and file name stem), ``keys`` and
    ``headers`` (same length), ``rows`` (iterated once, lazily), ``widths`` {key: characters}
    for Excel columns whose content is wider than their header, ``on_close`` called once when
    the writing ends, however it ends (e.g. commit the log of revealed values), ``query`` the
    SQLAlchemy ``select`` whose rows are the table's (counted by :func:`count_rows`)."""

    title: str
    keys: list[str]
    headers: list[str]
    rows: Iterable[ExportRow]
    widths: dict[str, int] = field(default_factory=dict)
    on_close: Callable[[], None] | None = None
    query: Select | None = None


def _closing(table: ExportTable, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        if table.on_close is not None:
            table.on_close()


def csv_chunks(table: ExportTable, for_excel: bool = False) -> Iterator[bytes]:
    """The table as CSV (RFC 4180, UTF-8; ``for_excel``: byte-order mark and tab-protected
    digit strings), in chunks of about :data:`CHUNK` bytes."""
    def chunks():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([csv_cell(h, for_excel) for h in table.headers])
        first = True
        for row in table.rows:
            writer.writerow([csv_cell(_csv_value(v), for_excel) for v in row.values])
            if out.tell() >= CHUNK:
                yield _encoded(out, for_excel and first)
                first = False
        yield _encoded(out, for_excel and first)
    return _closing(table, chunks())


def _csv_value(value):
    if isinstance(value, datetime):
        return excel_value(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _encoded(out: io.StringIO, bom: bool) -> bytes:
    data = out.getvalue().encode("utf-8-sig" if bom else "utf-8")
    out.seek(0)
    out.truncate()
    return data


def _cell(ws, value):
    value = excel_value(value)
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        cell.data_type = "s"
        cell.number_format = "@"
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


def _sheet(wb: Workbook, table: ExportTable, number: int):
    ws = wb.create_sheet(table.title[:28] + (f" {number}" if number > 1 else ""))
    for i, (key, header) in enumerate(zip(table.keys, table.headers, strict=True), 1):
        width = max(display_width(header), table.widths.get(key, 0), MIN_WIDTH)
        ws.column_dimensions[get_column_letter(i)].width = min(width, MAX_WIDTH) + 2
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for h in table.headers:
        cell = _cell(ws, h)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    return ws


def xlsx_chunks(table: ExportTable) -> Iterator[bytes]:
    """The table as an .xlsx workbook (module doc), in chunks of :data:`CHUNK` bytes. The rows
    are written to a temporary file first: the first byte is sent when the workbook is complete."""
    def chunks():
        with tempfile.TemporaryFile() as tmp:
            wb = Workbook(write_only=True)
            number, ws, count = 1, _sheet(wb, table, 1), 0
            for row in table.rows:
                if count == XLSX_MAX_ROWS:
                    number, count = number + 1, 0
                    ws = _sheet(wb, table, number)
                ws.append([_cell(ws, v) if isinstance(v, date) else excel_value(v) for v in row.values])
                count += 1
            wb.save(tmp)
            tmp.seek(0)
            while data := tmp.read(CHUNK):
                yield data
    return _closing(table, chunks())


def _json_value(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


def geojson_chunks(table: ExportTable) -> Iterator[bytes]:
    """The table as one GeoJSON FeatureCollection (RFC 7946): a Feature per row, ``geometry``
    from the row (null when it has none), properties by column key."""
    def chunks():
        out = io.StringIO()
        out.write('{"type":"FeatureCollection","features":[')
        sep = ""
        for row in table.rows:
            props = json.dumps({k: _json_value(v) for k, v in zip(table.keys, row.values, strict=True)},
                               ensure_ascii=False, default=str)
            out.write(f'{sep}{{"type":"Feature","geometry":{row.geometry or "null"},"properties":{props}}}')
            sep = ","
            if out.tell() >= CHUNK:
                yield _encoded(out, False)
        out.write("]}")
        yield _encoded(out, False)
    return _closing(table, chunks())


WRITERS = {"csv": csv_chunks, "xlsx": xlsx_chunks, "geojson": geojson_chunks}
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "geojson": "application/geo+json"}


def chunks_of(table: ExportTable, fmt: str, for_excel: bool = False) -> Iterator[bytes]:
    """The table written in ``fmt`` (one of :data:`FORMATS`; checked by the caller)."""
    if fmt == "csv":
        return csv_chunks(table, for_excel)
    return WRITERS[fmt](table)


def streamed(query, convert: Callable[[tuple], ExportRow], session, batch: int = BATCH) -> Iterator[ExportRow]:
    """The rows of a SQLAlchemy Core/ORM ``select`` of columns, read through a server-side
    cursor ``batch`` rows at a time (``yield_per``), each turned into an :class:`ExportRow` by
    ``convert``. ``session``: the SQLAlchemy session to read with."""
    for row in session.execute(query.execution_options(yield_per=batch)):
        yield convert(row)


def count_rows(table: ExportTable, session, limit: int | None = None) -> int:
    """How many rows the table holds (its ``query`` counted in SQL, its order dropped);
    ``limit``: stop counting there (a cheap "more than ``limit``?" on a large list)."""
    query = table.query.order_by(None)
    if limit is not None:
        query = query.limit(limit)
    return session.scalar(select(func.count()).select_from(query.subquery()))


def file_name(table: ExportTable, fmt: str, day: date) -> str:
    """The download name: ``<title>_<yyyymmdd>.<fmt>`` (``day`` the local date of the export)."""
    return f"{table.title}_{day:%Y%m%d}.{fmt}"
