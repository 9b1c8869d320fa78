"""Safe spreadsheet exports: one helper for every CSV and Excel file the app writes, and one for
their download names.

Rules (OWASP "CSV Injection"; Excel's 15-digit precision):

* control characters (C0 except newline, DEL, C1) are removed from text; ``\\r\\n`` becomes ``\\n``;
* text whose first non-blank character is ``=``, ``+``, ``-`` or ``@`` (also after tabs, spaces or
  removed control characters) is prefixed with an apostrophe ``'`` so that no spreadsheet runs it
  as a formula;
* long digit strings (:data:`LONG_DIGITS` or more digits, or a leading zero: codes, ID numbers,
  phones) stay text: in Excel a text cell with the ``@`` format; in the CSV "for Excel" variant
  prefixed with a tab (Excel then keeps the digits);
* CSV is for machines by default (issue 21): RFC 4180, UTF-8 without a byte-order mark, no tab
  prefixes; the "for Excel" variant adds the byte-order mark (so Excel reads Chinese) and the tabs.
* numbers and None pass unchanged; dates are date cells (``yyyy-mm-dd``) and instants are
  date-time cells in the local zone (``yyyy-mm-dd hh:mm``, :mod:`gridapp.core.clock`): Excel
  has no time zones, so an instant is written as the local wall-clock time it is shown as.

Every workbook is saved through :func:`workbook_bytes`: header row bold and frozen, column widths
fitted to the content (a CJK character counts two), at most :data:`MAX_WIDTH`.

Download names keep Chinese: ``Content-Disposition: attachment; filename="<ASCII fallback>";
filename*=UTF-8''<percent-encoded>`` (RFC 6266 / RFC 5987), path separators, quotes and control
characters removed.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .clock import local_zone

FORMULA_START = ("=", "+", "-", "@")
DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
#: column widths in characters (a CJK character counts two)
MIN_WIDTH, MAX_WIDTH = 6, 60
LONG_DIGITS = 12
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DIGITS = re.compile(r"\d+")


def clean_text(value: str) -> str:
    """Text without control characters (newlines kept) and with a formula-like start neutralised."""
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\t", " "))
    if text.lstrip(" \n\u3000").startswith(FORMULA_START):
        return "'" + text
    return text


def is_long_digits(value: str) -> bool:
    """True for a digit string Excel would mangle: ≥ :data:`LONG_DIGITS` digits or a leading zero."""
    return bool(_DIGITS.fullmatch(value)) and (len(value) >= LONG_DIGITS or (len(value) > 1 and value[0] == "0"))


def csv_cell(value, for_excel: bool = False):
    """One CSV cell: cleaned text (formula-like text neutralised), other values unchanged; for
    Excel, long digit strings tab-prefixed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if for_excel and is_long_digits(value):
        return "\t" + value
    return clean_text(value)


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable], for_excel: bool = False) -> bytes:
    """A CSV file of cleaned cells (RFC 4180, CRLF line ends): UTF-8 for machines, or with a
    byte-order mark and tab-protected digit strings ``for_excel``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h, for_excel) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v, for_excel) for v in row])
    return out.getvalue().encode("utf-8-sig" if for_excel else "utf-8")


def excel_value(value):
    """A value as an Excel cell holds it: text cleaned (:func:`clean_text`), an instant as the
    naive local wall-clock time (module doc), anything else unchanged."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(local_zone()).replace(tzinfo=None)
    return value


def append_row(sheet: Worksheet, row: Iterable) -> None:
    """Append a row of typed cells to an openpyxl sheet: text cells get the text format ``@`` (so
    digit strings stay text) with formula-like text neutralised (openpyxl would otherwise store a
    string starting with ``=`` as a formula); dates and instants become date cells (module doc)."""
    sheet.append([excel_value(v) for v in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            cell.number_format = "@"
        elif isinstance(cell.value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT


def display_width(value) -> int:
    """Characters a cell's value takes on screen: East Asian wide and full-width characters count two."""
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def workbook_bytes(wb: Workbook, header_rows: dict[str, int] | None = None) -> bytes:
    """The workbook as .xlsx bytes, each sheet finished: the header row (1 unless ``header_rows``
    names another per sheet title) bold and frozen, column widths fitted to the widest cell of the
    column (between :data:`MIN_WIDTH` and :data:`MAX_WIDTH`, plus 2)."""
    for ws in wb.worksheets:
        header = (header_rows or {}).get(ws.title, 1)
        widths: dict[int, int] = {}
        for row in ws.iter_rows(min_row=header):
            for cell in row:
                widths[cell.column] = max(widths.get(cell.column, 0), display_width(cell.value))
        for column, width in widths.items():
            ws.column_dimensions[get_column_letter(column)].width = min(max(width, MIN_WIDTH), MAX_WIDTH) + 2
        for cell in ws[header]:
            cell.font = Font(bold=True)
        if ws.freeze_panes is None:
            ws.freeze_panes = f"A{header + 1}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def content_disposition(filename: str) -> str:
    """``attachment`` header value for a download name that may hold Chinese (RFC 6266 with the
    RFC 5987 ``filename*``); path separators, quotes and control characters are removed."""
    name = _CONTROL.sub("", unicodedata.normalize("NFC", filename))
    name = re.sub(r'[\\/"\x00-\x1f;]', "_", name).lstrip(".") or "download"
    ascii_name = name.encode("ascii", "ignore").decode() or "download"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
