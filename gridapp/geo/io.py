"""Reading boundary files and point tables (pure: bytes in, shapely geometries out; no Flask, no DB).

Formats (:func:`read_features`): GeoJSON (RFC 7946 and the older form with a ``crs`` member; UTF-8
with or without a byte-order mark; Z values dropped), zipped ESRI Shapefile (with or without a
``.cpg``; attribute text without ``.cpg`` is decoded as UTF-8 when it is valid UTF-8, else as
GB18030, the superset of GBK), and KML (always WGS84 by the KML 2.2 standard, OGC 07-147r2).
Point tables (:func:`read_table`): CSV (UTF-8 with or without BOM, else GB18030) and Excel .xlsx.

CRS rules (:func:`to_wgs84`): a declared CRS is honoured — EPSG:4490 (CGCS2000) is taken as
EPSG:4326 (they differ by centimetres), other systems are reprojected with pyproj; coordinates
outside ±180/±90 with no declared CRS are plainly metres and refused; every feature must lie inside
the configured extent (default :data:`CHINA_EXTENT`); ``gcj02=True`` converts GCJ-02 ("Mars")
coordinates to WGS84 (:func:`gridapp.geo.gcj02.gcj02_to_wgs84`). Output geometry is always 2D, lon/lat, SRID 4326.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
import zlib

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from .encoding import GDAL_ENCODINGS, EncodingError, shapefile_encoding
from .features import RawFeature, ReadError, ReadResult, geom_or_error
from .gcj02 import gcj02_to_wgs84_xy
from .ogr import OGR_FILES, ogr_features, read_kml, read_ogr_file

#: China's extent (min_lon, min_lat, max_lon, max_lat), degrees: 73.5°E–135.1°E, 3.8°N–53.6°N
#: (mainland and the South China Sea islands), the bounds used by GB/T 2260 maps.
CHINA_EXTENT = (73.4, 3.8, 135.1, 53.6)
# Limits of a zipped Shapefile (a hostile archive must not fill memory or disk): entries, bytes
# unpacked in all, and the compression ratio of any one member (a Shapefile compresses ~2-10×;
# a "zip bomb" by hundreds or thousands).
ZIP_MAX_ENTRIES = 64
ZIP_MAX_UNPACKED = 256 * 1024 * 1024
ZIP_MAX_RATIO = 100
#: unpacked bytes an .xlsx upload may declare (a 100,000-row sheet is ~30 MB of XML).
XLSX_MAX_UNPACKED = 128 * 1024 * 1024

#: CRSs taken as WGS84 lon/lat as they are: EPSG:4326, CRS84 and EPSG:4490 (CGCS2000, which agrees
#: with WGS84 to a few centimetres — 国家测绘地理信息局 2008 announcement on CGCS2000).
WGS84_ALIASES = {"EPSG:4326", "EPSG:4490", "OGC:CRS84", "CRS84", "EPSG:4979", "EPSG:4480"}


# --------------------------------------------------------------------------- CRS
def crs_name(crs: str | dict | None) -> str | None:
    """The CRS of a GeoJSON ``crs`` member, a WKT/EPSG string or a pyproj input as "AUTH:CODE"
    when it has one, else its WKT; None when ``crs`` is empty. Raises ReadError if unknown."""
    if not crs:
        return None
    if isinstance(crs, dict):  # GeoJSON 2008: {"type": "name", "properties": {"name": ...}}
        crs = (crs.get("properties") or {}).get("name") or ""
        if not crs:
            return None
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as err:
        raise ReadError(f"unknown coordinate reference system {crs!r}") from err
    auth = parsed.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else parsed.to_wkt()


def _transformer(crs: str) -> pyproj.Transformer | None:
    if crs.upper() in WGS84_ALIASES:
        return None
    return pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(crs), "EPSG:4326", always_xy=True)


def _out_of_degrees(geom: BaseGeometry) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    return min(minx, maxx) < -180 or max(minx, maxx) > 180 or min(miny, maxy) < -90 or max(miny, maxy) > 90


def _outside_extent(geom: BaseGeometry, extent) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    return minx < extent[0] or miny < extent[1] or maxx > extent[2] or maxy > extent[3]


def to_wgs84(features: list[RawFeature], declared_crs: str | None, *, gcj02: bool = False,
             extent: tuple[float, float, float, float] = CHINA_EXTENT) -> list[RawFeature]:
    """Bring features to 2D lon/lat WGS84 in place and flag those that cannot be.

    ``declared_crs``: "EPSG:xxxx" or WKT, None when nothing was declared. A feature whose
    coordinates are outside ±180/±90 with no declared CRS gets the error "plainly metres"; one
    outside ``extent`` (min_lon, min_lat, max_lon, max_lat in degrees) gets "outside the configured
    extent". ``gcj02``: the input is GCJ-02 (after any reprojection) and is converted to WGS84.
    Returns ``features``.
    """
    transformer = _transformer(declared_crs) if declared_crs else None
    for f in features:
        if f.geometry is None or f.error:
            continue
        geom = shapely.force_2d(f.geometry)
        if transformer is not None:
            geom = shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
        elif _out_of_degrees(geom):
            x, y = geom.bounds[:2]
            f.geometry, f.error = None, (
                f"coordinates ({x:.1f}, {y:.1f}) are plainly metres, not degrees, and no CRS is declared: "
                "declare the file's CRS (crs=EPSG:xxxx, e.g. EPSG:4547 CGCS2000 / 3-degree Gauss-Kruger CM 114E)")
            continue
        if gcj02:
            geom = shapely.transform(geom, gcj02_to_wgs84_xy)
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            f.geometry, f.error = None, "coordinates could not be transformed to WGS84 (non-finite result)"
            continue
        if _outside_extent(geom, extent):
            b = ", ".join(f"{v:.4f}" for v in geom.bounds)
            e = ", ".join(f"{v:g}" for v in extent)
            f.geometry, f.error = None, (
                f"outside the configured extent ({e}): the feature spans ({b}); check the CRS or the "
                "setting GRIDAPP_IMPORT_EXTENT")
            continue
        f.geometry = geom
    return features


# --------------------------------------------------------------------------- formats
def sniff_format(filename: str, data: bytes) -> str:
    """"geojson", "shapefile" (a .zip), "kml", "geopackage", "flatgeobuf", "csv" or "xlsx" from the
    name, then the content.
    Raises ReadError when neither tells."""
    name = (filename or "").lower()
    for ext, fmt in ((".geojson", "geojson"), (".json", "geojson"), (".zip", "shapefile"),
                     (".kml", "kml"), (".csv", "csv"), (".xlsx", "xlsx"), (".gpkg", "geopackage"),
                     (".fgb", "flatgeobuf")):
        if name.endswith(ext):
            return fmt
    if data[:16] == b"SQLite format 3\x00":
        return "geopackage"
    if data[:3] == b"fgb":
        return "flatgeobuf"
    head = data[:512].lstrip(b"\xef\xbb\xbf").lstrip()
    if data[:2] == b"PK":
        return "xlsx" if b"[Content_Types].xml" in data[:2000] else "shapefile"
    if head.startswith(b"{"):
        return "geojson"
    if head.startswith(b"<") and b"kml" in data[:2000].lower():
        return "kml"
    raise ReadError(f"unknown file format {filename!r}: expected .geojson, a zipped Shapefile (.zip), "
                    ".kml, .gpkg, .fgb, .csv or .xlsx")


def decode_text(data: bytes) -> str:
    """Text of a file: UTF-8 (a byte-order mark is dropped), else GB18030 (superset of GBK/GB2312).
    Raises ReadError if neither decodes."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ReadError("the file is neither UTF-8 nor GBK/GB18030 text")


def read_geojson(data: bytes) -> ReadResult:
    """Features of a GeoJSON FeatureCollection, Feature or bare geometry (RFC 7946, or GeoJSON 2008
    with a ``crs`` member). Raises ReadError for invalid JSON or a non-GeoJSON object."""
    try:
        obj = json.loads(decode_text(data))
    except json.JSONDecodeError as err:
        raise ReadError(f"invalid JSON: {err}") from err
    if not isinstance(obj, dict) or "type" not in obj:
        raise ReadError("not a GeoJSON object (no \"type\" member)")
    declared = crs_name(obj.get("crs"))
    if obj["type"] == "FeatureCollection":
        raw = obj.get("features")
        if not isinstance(raw, list):
            raise ReadError("FeatureCollection without a \"features\" list")
    elif obj["type"] == "Feature":
        raw = [obj]
    else:
        raw = [{"type": "Feature", "properties": {}, "geometry": obj}]
    features = []
    for i, f in enumerate(raw):
        if not isinstance(f, dict):
            features.append(RawFeature(i, {}, None, "not a GeoJSON Feature"))
            continue
        features.append(geom_or_error(i, dict(f.get("properties") or {}), f.get("geometry")))
    return ReadResult(features, declared)


def read_shapefile_zip(data: bytes, encoding: str | None = None) -> ReadResult:
    """Features of the one Shapefile in a .zip (CRS from its .prj; text encoding: ``encoding``, else
    its .cpg, else the .dbf's language driver, else detected — :func:`shapefile_encoding`).
    Raises ReadError for a bad zip, no or several .shp, a missing .dbf/.shx, or text that the
    declared encoding cannot decode or would turn into mojibake."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise ReadError("not a valid .zip file") from err
    check_archive(archive)
    names = [n for n in archive.namelist() if not n.endswith("/") and "__MACOSX" not in n]
    shps = [n for n in names if n.lower().endswith(".shp")]
    if len(shps) != 1:
        raise ReadError(f"the .zip must hold exactly one .shp, found {len(shps)}")
    stem = shps[0][:-4]
    parts = {n[len(stem):].lower(): n for n in names if n.startswith(stem) and len(n) == len(stem) + 4}
    missing = [ext for ext in (".dbf", ".shx") if ext not in parts]
    if missing:
        raise ReadError(f"the Shapefile lacks its {', '.join(missing)} file")
    notes = []
    budget = [ZIP_MAX_UNPACKED]
    with tempfile.TemporaryDirectory(prefix="gridapp-shp") as tmp:
        # members are written under generated names (layer.shp, ...), never under their own
        contents = {ext: _read_member(archive, name, budget) for ext, name in parts.items()}
        for ext, content in contents.items():
            with open(os.path.join(tmp, "layer" + ext), "wb") as fh:
                fh.write(content)
        try:
            codec, source = shapefile_encoding(contents[".dbf"], contents.get(".cpg"), parts.get(".cpg", ".cpg"),
                                               parts[".dbf"], encoding)
        except EncodingError as err:
            raise ReadError(str(err)) from None
        if encoding or ".cpg" not in parts:
            notes.append(f"attribute text read as {codec} ({source})")
        features, crs = ogr_features(os.path.join(tmp, "layer.shp"), GDAL_ENCODINGS.get(codec, codec.upper()))
    return ReadResult(features, crs_name(crs) if crs else None, notes)


def check_archive(archive: zipfile.ZipFile, max_unpacked: int | None = None) -> None:
    """Refuse a hostile .zip (a zipped Shapefile, or an .xlsx workbook, which is a zip too) before
    reading it: more than :data:`ZIP_MAX_ENTRIES` entries, a member name that is absolute, has a
    drive or backslash, or climbs with ``..`` (path traversal), a declared unpacked size over
    ``max_unpacked`` bytes (default :data:`ZIP_MAX_UNPACKED`), or a member compressed more than
    :data:`ZIP_MAX_RATIO` times (size bomb). Python's zipfile never reads past a member's declared
    size, so the declared sizes bound what is unpacked. Raises ReadError naming the member."""
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_ENTRIES:
        raise ReadError(f"the .zip holds {len(infos)} entries (at most {ZIP_MAX_ENTRIES})")
    for info in infos:
        name = info.filename
        if (name.startswith(("/", "\\")) or "\\" in name or ":" in name
                or ".." in name.replace("\\", "/").split("/")):
            raise ReadError(f"unsafe path in the .zip: {name!r}")
        if info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
            raise ReadError(f"{name!r} unpacks {info.file_size} bytes from {info.compress_size}: "
                            "refused as a zip bomb")
    declared = sum(i.file_size for i in infos)
    max_unpacked = ZIP_MAX_UNPACKED if max_unpacked is None else max_unpacked
    if declared > max_unpacked:
        raise ReadError(f"the .zip unpacks to {declared} bytes (at most {max_unpacked})")


def load_xlsx(data: bytes):
    """An openpyxl workbook (read-only, cached values) from the bytes of an .xlsx file, after the
    zip checks of :func:`check_archive` with at most :data:`XLSX_MAX_UNPACKED` bytes unpacked
    (openpyxl holds the shared strings in memory). Raises ReadError for a hostile or unreadable file."""
    import openpyxl

    try:
        check_archive(zipfile.ZipFile(io.BytesIO(data)), XLSX_MAX_UNPACKED)
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ReadError:
        raise
    except Exception as err:  # openpyxl and zipfile raise several unrelated types for corrupt files
        raise ReadError(f"cannot read the Excel file: {err}") from err


def _read_member(archive: zipfile.ZipFile, name: str, budget: list[int]) -> bytes:
    """The bytes of one member, reading at most what is left of ``budget[0]`` (the declared sizes
    may lie); ReadError beyond it."""
    try:
        with archive.open(name) as fh:
            content = fh.read(budget[0] + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as err:
        raise ReadError(f"{name!r} in the .zip cannot be unpacked: {err}") from None
    if len(content) > budget[0]:
        raise ReadError(f"the .zip unpacks to more than {ZIP_MAX_UNPACKED} bytes: refused as a zip bomb")
    budget[0] -= len(content)
    return content


def read_features(data: bytes, filename: str, *, crs: str | None = None, gcj02: bool = False,
                  extent: tuple[float, float, float, float] = CHINA_EXTENT, encoding: str | None = None,
                  layer: str | None = None) -> ReadResult:
    """Read a boundary file into 2D lon/lat (SRID 4326) features.

    ``crs``: overrides whatever the file declares ("EPSG:4547", WKT...). ``gcj02``: the file is in
    GCJ-02 and is converted to WGS84. ``extent``: features outside it are flagged (see
    :func:`to_wgs84`). ``encoding``: a Shapefile's attribute text encoding, overriding its .cpg.
    ``layer``: the layer of a GeoPackage or FlatGeobuf file (:func:`gridapp.geo.ogr.read_ogr_file`).
    Per-feature problems are reported on the features (``error``); a file that
    cannot be read at all raises ReadError.
    """
    fmt = sniff_format(filename, data)
    readers = {"geojson": read_geojson, "shapefile": lambda d: read_shapefile_zip(d, encoding), "kml": read_kml,
               **{f: (lambda d, f=f: read_ogr_file(d, f, layer)) for f in OGR_FILES}}
    if fmt not in readers:
        raise ReadError(f"a {fmt} file holds no boundaries: use GeoJSON, a zipped Shapefile, KML, GeoPackage "
                        "or FlatGeobuf")
    result = readers[fmt](data)
    declared = crs_name(crs) if crs else result.declared_crs
    result.declared_crs = declared
    to_wgs84(result.features, declared, gcj02=gcj02, extent=extent)
    return result
