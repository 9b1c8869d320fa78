"""File downloads of web/ and api/: one response shape for every export.

``Content-Disposition: attachment`` with the Chinese file name (RFC 6266 / RFC 5987,
:func:`gridapp.core.tabular.content_disposition`) and the file's MIME type.
"""
from __future__ import annotations

from flask import Response

from .core.tabular import content_disposition

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download(data: bytes, filename: str, mimetype: str) -> Response:
    """``data`` as an attachment named ``filename`` (may hold Chinese). ``mimetype`` is the whole
    Content-Type (a ``charset`` given once: Flask would append a second one to a text type)."""
    return Response(data, content_type=mimetype, headers={"Content-Disposition": content_disposition(filename)})


def xlsx_response(data: bytes, filename: str) -> Response:
    """An Excel workbook (.xlsx bytes) as an attachment named ``filename``."""
    return download(data, filename, XLSX)
