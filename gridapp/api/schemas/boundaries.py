"""Schemas of boundary import and export, grid edits, coverage checks, tiles, the dashboard and
the security audit log."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...core.params import PAGE_MAX
from .common import AreaPeriod, Flag, LineString, Model, Out, Short, Upload


class ImportForm(Model):
    """The uploaded file and the import options (multipart)."""

    file: Upload = None
    level: Short | None = None
    parent_code: Short | None = None
    mode: Literal["dry_run", "commit"] | None = None
    repair: Flag | None = None
    crs: Short | None = None
    gcj02: Flag | None = None
    code_field: Short | None = None
    name_field: Short | None = None
    tolerance_m: float | None = Field(None, ge=0, le=10_000, allow_inf_nan=False)
    category_code: Short | None = None


class ImportReport(Out):
    """What an import did or would do; ``refused`` non-empty: nothing written (422)."""

    refused: list[Any]


class ExportQuery(Model):
    """An area level, a code prefix, a file format."""

    level: Literal["district", "township", "community", "grid"]
    code: Short | None = None
    format: Literal["geojson", "shp", "csv", "gpkg", "fgb"] = "geojson"
    excel: Flag | None = None


class EditBody(Model):
    """``dry_run: true`` previews the edit (the same report, nothing kept)."""

    dry_run: bool | None = None


class SplitBody(EditBody):
    """Split along a line, or in four without one."""

    line: LineString | None = None


class MergeBody(EditBody):
    """Adjacent grids of one community."""

    codes: list[Short] = Field(min_length=1, max_length=50)


class MoveEdgeBody(EditBody):
    """Two adjacent grids and the new shared edge."""

    codes: list[Short] = Field(min_length=1, max_length=2)
    line: LineString | None = None


class GenerateBody(EditBody):
    """How many grids: a number, households per grid or area per grid."""

    n: int | None = Field(None, ge=1, le=1000)
    target_households: int | None = Field(None, ge=1, le=1_000_000)
    target_area_m2: float | None = Field(None, gt=0, le=1e10, allow_inf_nan=False)


class GridEdit(Out):
    """The report of a grid edit."""

    edit_id: int | None
    operation: str
    community_code: str
    retired: list[Any]
    issued: list[Any]
    lineage: Any
    moved: list[Any]
    committed: bool


class CheckQuery(Model):
    """A district, township or community code (default the caller's scope)."""

    code: Short | None = None


class CoverageReport(Out):
    """Gaps, overlaps, grids outside their community and ungridded communities."""

    code: str
    name: str
    level: str
    problems: dict[str, Any]
    features: dict[str, Any]


class DashboardQuery(AreaPeriod):
    """An area and a period (default: the caller's area, the last 30 days)."""


class DashboardAreasQuery(AreaPeriod):
    """As the dashboard, and the level of the sub-areas."""

    by: Literal["township", "community", "grid"] | None = None


class Dashboard(Out):
    """The review dashboard of an area and period."""

    level: str
    code: str
    name: str
    period: dict[str, Any]
    coverage: Any
    kpi: dict[str, Any]
    children: list[Any]


class AuditLogQuery(Model):
    """Filters and a page of the security audit log."""

    action: Short | None = None
    username: Short | None = None
    since: Short | None = Field(None, description="ISO 8601 date or date-time (UTC when naive)")
    page: int | None = Field(None, ge=1, le=PAGE_MAX)
    per_page: int | None = Field(None, ge=1, le=100)


class AuditLog(Out):
    """A page of the security audit log, newest first."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int



class TileLayer(Out):
    """One vector layer of a TileJSON document: its id (the MVT layer name), fields and zooms."""

    id: str
    fields: dict[str, str]
    minzoom: int = Field(ge=0, le=22)
    maxzoom: int = Field(ge=0, le=22)


class TileJSON(Out):
    """TileJSON 3.0.0 of one tile layer (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0):
    the tiles URL template, zooms, the caller's scope bounds (SRID 4326: west, south, east, north)."""

    tilejson: str
    name: str
    scheme: Literal["xyz"]
    tiles: list[str] = Field(min_length=1)
    minzoom: int = Field(ge=0, le=22)
    maxzoom: int = Field(ge=0, le=22)
    bounds: list[float] = Field(min_length=4, max_length=4)
    vector_layers: list[TileLayer]
