"""Point tables: CSV (UTF-8 ± BOM, else GB18030) and Excel .xlsx (pure: bytes in, rows out)."""
from __future__ import annotations

import csv
import io

from .io import ReadError, decode_text, load_xlsx, sniff_format

#: header names of the coordinate columns, matched case-insensitively after stripping spaces.
LON_HEADERS = ("lon", "lng", "longitude", "经度", "x")
LAT_HEADERS = ("lat", "latitude", "纬度", "y")


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list]]:
    """Header and rows of a CSV (UTF-8 ± BOM, else GB18030) or .xlsx (first sheet) file.
    Raises ReadError for another format or an empty file."""
    fmt = sniff_format(filename, data)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(decode_text(data))))
    elif fmt == "xlsx":
        book = load_xlsx(data)
        rows = [["" if v is None else v for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    else:
        raise ReadError(f"incidents are imported from .csv or .xlsx, not {fmt}")
    rows = [r for r in rows if any(str(v).strip() for v in r)]
    if not rows:
        raise ReadError("the table is empty")
    return [str(h).strip() for h in rows[0]], rows[1:]


def find_column(header: list[str], candidates: tuple[str, ...]) -> int | None:
    """Index of the first header equal (case-insensitive) to one of ``candidates``, else None."""
    lowered = [h.strip().lower() for h in header]
    for name in candidates:
        if name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def coordinate_columns(header: list[str]) -> tuple[int, int]:
    """(lon index, lat index) found by header in any order: lon/lat, lng, longitude/latitude,
    经度/纬度, x/y. Raises ReadError naming the headers when either is missing."""
    lon, lat = find_column(header, LON_HEADERS), find_column(header, LAT_HEADERS)
    if lon is None or lat is None:
        raise ReadError(f"no coordinate columns in the header {header}: expected lon/lat, "
                        "longitude/latitude, 经度/纬度 or x/y")
    return lon, lat
