"""Safe spreadsheet exports: one helper for every CSV and Excel file the app writes, and one for
their download names.

Rules (OWASP "CSV Injection"; Excel's 15-digit precision):

* control characters (C0 except newline, DEL, C1) are removed from text; ``\\r\\n`` becomes ``\\n``;
* text whose first non-blank character is ``=``, ``+``, ``-`` or ``@`` (also after tabs, spaces or
  removed control characters) is prefixed with an apostrophe ``'`` so that no spreadsheet runs it
  as a formula;
* long digit strings (:data:`LONG_DIGITS` or more digits, or a leading zero: codes, ID numbers,
  phones) stay text: in Excel a text cell with the ``@`` format; in CSV prefixed with a tab (Excel
  then keeps the digits; machine readers strip it);
* numbers, dates and None pass unchanged.

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
from urllib.parse import quote

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@")
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


def csv_cell(value):
    """One CSV cell: cleaned text, long digit strings tab-prefixed, other values unchanged."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if is_long_digits(value):
        return "\t" + value
    return clean_text(value)


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable]) -> bytes:
    """A CSV file (UTF-8 with a byte-order mark, so that Excel reads Chinese) of cleaned cells."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def append_row(sheet: Worksheet, row: Iterable) -> None:
    """Append a row of cleaned cells to an openpyxl sheet; text cells get the text format ``@``
    (so digit strings stay text), formula-like text is neutralised (openpyxl would otherwise store
    a string starting with ``=`` as a formula)."""
    values = [clean_text(v) if isinstance(v, str) else v for v in row]
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            cell.number_format = "@"


def content_disposition(filename: str) -> str:
    """``attachment`` header value for a download name that may hold Chinese (RFC 6266 with the
    RFC 5987 ``filename*``); path separators, quotes and control characters are removed."""
    name = _CONTROL.sub("", unicodedata.normalize("NFC", filename))
    name = re.sub(r'[\\/"\x00-\x1f;]', "_", name).lstrip(".") or "download"
    ascii_name = name.encode("ascii", "ignore").decode() or "download"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
