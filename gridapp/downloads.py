"""File downloads of web/ and api/: one response shape for every export.

``Content-Disposition: attachment`` with the Chinese file name (RFC 6266 / RFC 5987,
:func:`gridapp.core.tabular.content_disposition`) and the file's MIME type.
"""
from __future__ import annotations

from pathlib import Path

from flask import Response, send_file, stream_with_context

from .core.clock import local_date, utcnow
from .core.exportfiles import MIMETYPES, ExportTable, chunks_of, file_name
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


def table_response(table: ExportTable, fmt: str, for_excel: bool = False) -> Response:
    """A list export (:mod:`gridapp.core.exportfiles`) streamed as an attachment in ``fmt``
    (csv | xlsx | geojson; ``for_excel``: CSV with byte-order mark), named
    ``<title>_<local date>.<fmt>``. Rows are read while the response is sent (the request
    context is kept for the database session): constant memory whatever the size."""
    return Response(stream_with_context(chunks_of(table, fmt, for_excel)), content_type=MIMETYPES[fmt],
                    headers={"Content-Disposition": content_disposition(file_name(table, fmt, local_date(utcnow()))),
                             "X-Accel-Buffering": "no"})


def file_response(path: Path, filename: str, mimetype: str) -> Response:
    """A file kept on disk (an export job's) sent as an attachment named ``filename``, in chunks
    (never read whole), private to the user who asked."""
    response = send_file(path, mimetype=mimetype, conditional=True, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
