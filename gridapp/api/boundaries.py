"""Boundary import and export under ``/api/v1`` (admin only for imports).

* ``POST /api/v1/imports`` — multipart: ``file``; ``level`` = district | township | community | grid |
  incident; ``parent_code``; ``mode`` = dry_run | commit; ``repair`` = 0 | 1; ``crs``; ``gcj02`` = 0 | 1;
  optional ``code_field``, ``name_field``, ``tolerance_m``, ``category_code``.
  → 200 {"created", "replaced", "repaired": [...], "refused": [], ...} when committed or previewed;
  422 with the same report when anything is refused (nothing written); 400 bad options;
  403 not an admin; 401 no token.
* ``GET /api/v1/export?level=...&code=...&format=geojson|shp|csv`` — see :func:`export_boundaries`.
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from ..auth import api_user
from ..boundaries import export, grid_edit, imports
from ..core.params import flag
from ..coverage import check as coverage_check
from ..downloads import download
from ..errors import BadInput
from . import bp, json_body
from .contract import operation
from .schemas import boundaries as bs

#: the media types of the export formats
EXPORT_MEDIA = "application/geo+json application/zip text/csv application/geopackage+sqlite3 application/octet-stream"


def uploaded_file() -> tuple[bytes, str]:
    """(bytes, filename) of the multipart field ``file``; BadInput when it is missing or empty."""
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    if not data:
        raise BadInput(_("请上传文件（multipart 字段 file）"), code="missing_file")
    return data, upload.filename or ""


@bp.post("/imports")
@operation("boundaries", bs.ImportReport, form=bs.ImportForm, responses={422: bs.ImportReport})
def create_import():
    """Import boundaries or incidents from an uploaded file (see the module docstring)."""
    user = api_user()
    imports.require_admin(user)
    options = imports.parse_options(request.form, current_app.config["IMPORT_EXTENT"])
    data, filename = uploaded_file()
    report = imports.import_file(user, data, filename, options)
    return jsonify(report), 422 if report["refused"] else 200


@bp.get("/export")
@operation("boundaries", None, query=bs.ExportQuery, media=EXPORT_MEDIA)
def export_boundaries():
    """``?level=district|township|community|grid&code=<prefix>&format=geojson|shp|csv|gpkg|fgb``
    → the file (GeoJSON RFC 7946: CCW outer rings, 6 decimals, no crs member; zipped Shapefile
    UTF-8 with .cpg; CSV with WKT, RFC 4180 for machines or ``&excel=1`` for Excel; GeoPackage;
    FlatGeobuf). Grids: only those the caller may see. 400 unknown level or format."""
    user = api_user()
    body, mimetype, filename = export.export(user, request.args.get("level", ""), request.args.get("code") or None,
                                             request.args.get("format", "geojson"), flag(request.args, "excel"))
    return download(body, filename, mimetype)


@bp.post("/grids/<code>/split")
@operation("boundaries", bs.GridEdit, body=bs.SplitBody, errors=(409, 422))
def split_grid(code: str):
    """Split a grid: JSON {"line": GeoJSON LineString (lon/lat)} in two along the line, or {} in
    four; ``"dry_run": true`` on any grid edit previews it (the same report, nothing kept). → 200
    {"edit_id", "operation", "community_code", "retired", "issued", "lineage", "moved": [{"table",
    "id", "from_grid", "to_grid"}], "committed"}; 400 bad line/cut; 403 not admin/district; 404
    unknown grid; 422 community would not be tiled."""
    body = json_body()
    return jsonify(grid_edit.split_grid(api_user(), code, body.get("line"), _dry_run(body)))


def _dry_run(body: dict) -> bool:
    return flag(body, "dry_run")


@bp.post("/grids/merge")
@operation("boundaries", bs.GridEdit, body=bs.MergeBody, errors=(409, 422))
def merge_grids():
    """Merge adjacent grids of one community: JSON {"codes": [...]} → 200 (as split)."""
    body = json_body()
    return jsonify(grid_edit.merge_grids(api_user(), body.get("codes"), _dry_run(body)))


@bp.post("/grids/move-edge")
@operation("boundaries", bs.GridEdit, body=bs.MoveEdgeBody, errors=(409, 422))
def move_grid_edge():
    """Move the shared edge of two adjacent grids: JSON {"codes": [a, b], "line": LineString}
    crossing both from outline to outline → 200 (as split)."""
    body = json_body()
    return jsonify(grid_edit.move_edge(api_user(), body.get("codes"), body.get("line"), _dry_run(body)))


@bp.post("/communities/<code>/grids/generate")
@operation("boundaries", bs.GridEdit, body=bs.GenerateBody, errors=(409, 422))
def generate_grids(code: str):
    """Replace a community's grids by generated ones: JSON {"n"} or {"target_households"} or
    {"target_area_m2"} → 200 (as split)."""
    body = json_body()
    return jsonify(grid_edit.generate(api_user(), code, body.get("n"), body.get("target_households"),
                                      body.get("target_area_m2"), _dry_run(body)))


@bp.get("/coverage-check")
@operation("coverage", bs.CoverageReport, query=bs.CheckQuery)
def coverage_check_report():
    """``?code=<district|township|community code>`` (default the caller's scope) → 200 the coverage
    report {"code", "name", "level", "communities", "gridded", "problems": {gap, overlap, outside,
    ungridded}, "features": FeatureCollection} (:mod:`gridapp.coverage.check`); 403 outside the
    caller's scope or a grid worker; 404 unknown code."""
    return jsonify(coverage_check.coverage_report(api_user(), request.args.get("code") or None))


@bp.post("/communities/<code>/grids/renumber")
@operation("boundaries", bs.GridEdit, body=bs.EditBody, body_required=False, errors=(409, 422))
def renumber_grids(code: str):
    """Renumber a community's grids (explicit act; new codes in numbering order, old codes
    retired with lineage) → 200 (as split)."""
    return jsonify(grid_edit.renumber(api_user(), code, _dry_run(json_body() if request.get_data() else {})))
