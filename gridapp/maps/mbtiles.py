"""An offline base map: tiles read from an MBTiles file (MBTiles 1.3: an SQLite database with a
``metadata`` table of name/value rows and a ``tiles`` table of zoom_level, tile_column, tile_row
(TMS: row 0 at the south), tile_data), through the standard library's sqlite3, read-only.

Raster packages hold PNG, JPEG or WebP tiles; vector packages hold Mapbox Vector Tiles
(``format = pbf``, usually gzip-compressed, served as they are with ``Content-Encoding: gzip``).
Made elsewhere (e.g. ``gdal_translate -of MBTILES``, tippecanoe, QGIS "Generate XYZ tiles") and
dropped into the instance folder; see README "Base maps".
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

#: Tile formats of an MBTiles package → (kind, media type).
FORMATS = {"png": ("raster", "image/png"), "jpg": ("raster", "image/jpeg"), "jpeg": ("raster", "image/jpeg"),
           "webp": ("raster", "image/webp"), "pbf": ("vector", "application/vnd.mapbox-vector-tile")}


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def describe(path: Path) -> dict | None:
    """What the page needs of the package at ``path``: {format, kind (raster | vector), media_type,
    min_zoom, max_zoom, bounds [min_lon, min_lat, max_lon, max_lat] | None, attribution, name}, or
    None when there is no such file. Zooms come from the metadata, else from the tiles. Raises
    ValueError for a file that is not an MBTiles package or a format not in :data:`FORMATS`."""
    if not path.is_file():
        return None
    try:
        with closing(_connect(path)) as conn:
            meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            zooms = conn.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
    except sqlite3.DatabaseError as err:
        raise ValueError(f"{path}: not an MBTiles file ({err})") from err
    fmt = (meta.get("format") or "png").lower()
    if fmt not in FORMATS:
        raise ValueError(f"{path}: tile format {fmt!r} is not one of {', '.join(FORMATS)}")
    bounds = [float(v) for v in meta["bounds"].split(",")] if meta.get("bounds") else None
    kind, media_type = FORMATS[fmt]
    return {"format": fmt, "kind": kind, "media_type": media_type, "name": meta.get("name", path.stem),
            "min_zoom": int(meta.get("minzoom", zooms[0] or 0)), "max_zoom": int(meta.get("maxzoom", zooms[1] or 0)),
            "bounds": bounds, "attribution": meta.get("attribution", "")}


def read_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """The tile z/x/y (XYZ: y from the north) of the package, or None when it has none (the
    package stores TMS rows: row = 2^z − 1 − y)."""
    with closing(_connect(path)) as conn:
        row = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                           (z, x, (1 << z) - 1 - y)).fetchone()
    return bytes(row[0]) if row else None
