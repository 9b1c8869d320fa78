"""Exporting boundaries: GeoJSON (RFC 7946), zipped Shapefile (UTF-8 with .cpg) and CSV (WKT).

Geometry is SRID 4326, lon/lat. Coordinates are rounded to 6 decimals (≈ 0.1 m, RFC 7946 §11.2)
after noding T-junctions (:func:`gridapp.geo.shapes.round_coverage`), so that shared edges round
identically and the exported features still tile (neighbours touch, no slivers, no gaps); outer rings are
counter-clockwise (RFC 7946 §3.1.6); GeoJSON has no ``crs`` member.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile

import numpy as np
import shapely
from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from ..accounts.audit import record
from ..core import tabular
from ..core.params import area_level, choice
from ..core.scope import grid_filter
from ..extensions import db
from ..geo.ogr import OGR_FILES
from ..geo.shapes import round_coverage
from ..models import AdminArea, Grid, User
from .rules import EXPORT_COLUMNS, EXPORT_FILE_NAMES, EXPORT_FORMATS, EXPORT_LEVELS, LEVEL_NAMES

FIELDS = ("code", "name", "level", "parent_code")
SHP_FIELDS = ["code", "name", "level", "parent"]  # dBase field names have at most 10 characters


def _rows(user: User, level: str, code: str | None) -> list[tuple[dict, object]]:
    if level == "grid":
        query = select(Grid).where(grid_filter(user)).order_by(Grid.code)
        if code:
            query = query.where(Grid.code.startswith(code))
        return [({"code": g.code, "name": g.name, "level": "grid", "parent_code": g.community_code},
                 to_shape(g.geom)) for g in db.session.scalars(query)]
    query = select(AdminArea).where(AdminArea.level == level).order_by(AdminArea.code)
    if code:
        query = query.where(AdminArea.code.startswith(code))
    return [({"code": a.code, "name": a.name, "level": a.level, "parent_code": a.parent_code},
             to_shape(a.geom)) for a in db.session.scalars(query)]




def _round(obj):
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, list | tuple):
        return [_round(v) for v in obj]
    return obj


def export(user: User, level: str, code: str | None, fmt: str, for_excel: bool = False) -> tuple[bytes, str, str]:
    """The areas of ``level`` whose code starts with ``code`` (grids: those the user may see) as
    (bytes, MIME type, file name "<level name>_<code>.<ext>"). GeoJSON properties: code, name,
    level, parent_code (a grid's community); a Shapefile's fields: code, name, level, parent (dBase
    names have at most 10 characters), its files named like the download (<level name>_<code>.shp
    …); CSV: Chinese headers (:data:`~gridapp.boundaries.rules.EXPORT_COLUMNS`) and level names,
    then the geometry as WKT (RFC 4180 for machines; ``for_excel``: byte-order mark and digit
    strings kept as text); GeoPackage (``gpkg``) and FlatGeobuf (``fgb``): one layer named
    like the file, GeoJSON's fields.
    Audited (one "export" row, committed). Raises BadInput for an unknown level or format."""
    level = area_level(level, EXPORT_LEVELS)
    choice(fmt, "format", EXPORT_FORMATS, _("format 必须是 %(formats)s 之一，收到 %(value)s",
                                            formats="、".join(EXPORT_FORMATS), value=repr(fmt)))
    rows = _rows(user, level, code)
    record(user, "export", "boundaries", None, code if code and len(code) == 12 else None,
           level=level, code=code, format=fmt, count=len(rows))
    db.session.commit()
    geoms = round_coverage([g for _p, g in rows])
    stem = f"{EXPORT_FILE_NAMES[level]}_{code or _('全部')}"
    if fmt == "geojson":
        features = [{"type": "Feature", "id": p["code"], "properties": p,
                     "geometry": _round(shapely.geometry.mapping(g))}
                    for (p, _geom), g in zip(rows, geoms, strict=True)]
        body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
        return body.encode("utf-8"), "application/geo+json", stem + ".geojson"
    if fmt == "csv":
        header = [str(EXPORT_COLUMNS[f]) for f in FIELDS] + ["WKT"]
        body = tabular.csv_bytes(header, ([p["code"], p["name"], str(LEVEL_NAMES[p["level"]]), p["parent_code"],
                                           shapely.to_wkt(g, rounding_precision=6, trim=True)]
                                          for (p, _geom), g in zip(rows, geoms, strict=True)), for_excel)
        return body, "text/csv; charset=utf-8", stem + ".csv"
    if fmt in OGR_EXPORTS:
        kind, mimetype = OGR_EXPORTS[fmt]
        suffix, driver = OGR_FILES[kind]
        return _ogr_file(rows, geoms, stem, suffix, driver, list(FIELDS)), mimetype, stem + suffix
    return _shapefile(rows, geoms, stem), "application/zip", stem + ".zip"


#: export format → (file kind of :data:`gridapp.geo.ogr.OGR_FILES`, MIME type) of the single-file
#: formats (GeoPackage is a file format that happens to be an SQLite container: no database here)
OGR_EXPORTS = {"gpkg": ("geopackage", "application/geopackage+sqlite3"),
               "fgb": ("flatgeobuf", "application/octet-stream")}


def _write(path: str, rows, geoms, driver: str, fields: list[str], layer: str | None = None) -> None:
    import pyogrio.raw

    pyogrio.raw.write(path, np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
                      [np.array([p[f] or "" for p, _g in rows], dtype=object) for f in FIELDS],
                      fields=fields, geometry_type="MultiPolygon", crs="EPSG:4326", encoding="UTF-8",
                      driver=driver, layer=layer)


def _ogr_file(rows, geoms, stem: str, suffix: str, driver: str, fields: list[str]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="gridapp-export") as tmp:
        path = os.path.join(tmp, "export" + suffix)
        _write(path, rows, geoms, driver, fields, layer=stem)
        with open(path, "rb") as fh:
            return fh.read()


def _shapefile(rows, geoms, stem: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="gridapp-export") as tmp:
        _write(os.path.join(tmp, stem + ".shp"), rows, geoms, "ESRI Shapefile", SHP_FIELDS)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(os.listdir(tmp)):
                zf.write(os.path.join(tmp, name), name)
        return buf.getvalue()
