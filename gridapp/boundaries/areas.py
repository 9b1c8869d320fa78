"""Administrative areas and grids as GeoJSON (RFC 7946: WGS84 lon/lat, SRID 4326)."""
from __future__ import annotations

from geoalchemy2 import functions as gf
from sqlalchemy import cast, exists, func, select
from sqlalchemy.dialects.postgresql import JSONB

from ..core.params import area_level
from ..core.scope import community_condition, grid_filter, incident_filter
from ..extensions import db
from ..models import AdminArea, Grid, Incident, User
from .rules import AREA_LEVELS

PRECISION = 15  # the most decimal places of degrees a client may ask for (full precision)
#: decimal places of degrees in GeoJSON output unless asked (RFC 7946 §11.2: 7 ≈ 1 cm; every
#: vertex is rounded alike, so shared edges stay shared)
GEOJSON_PRECISION = 7


def geojson_column(col, precision: int = GEOJSON_PRECISION):
    """SQL: the geometry column ``col`` as a GeoJSON object (JSONB; ``precision`` decimals) as
    RFC 7946 §3.1.6 orders rings: exterior counter-clockwise, holes clockwise. Below full
    precision the geometry is first snapped to that grid keeping it valid (ST_ReducePrecision:
    a sliver hole narrower than the grid goes, rather than being printed turned inside out)."""
    kind = getattr(col.type, "geometry_type", "")
    snapped = col
    if precision < PRECISION and kind in ("POLYGON", "MULTIPOLYGON"):
        snapped = func.ST_ReducePrecision(col, 10.0 ** -precision)
        snapped = func.ST_Multi(snapped) if kind == "MULTIPOLYGON" else snapped  # the type stays
    return cast(gf.ST_AsGeoJSON(func.ST_ForcePolygonCCW(snapped), precision), JSONB)


def feature_collection(features: list[dict]) -> dict:
    """A GeoJSON FeatureCollection (RFC 7946) of ``features``."""
    return {"type": "FeatureCollection", "features": features}


def areas_collection(level: str, precision: int = GEOJSON_PRECISION) -> dict:
    """FeatureCollection of the areas at ``level`` (district | township | community; the
    community level includes villages). Properties: code, name, level, parent_code, unit_type,
    boundary_source, gridded (community level: whether the unit has grids). ``precision``:
    decimal places of the coordinates (degrees; 6 ≈ 0.1 m, enough to draw; default 7).

    Raises BadInput for an unknown level.
    """
    level = area_level(level, AREA_LEVELS)
    gridded = exists().where(Grid.community_code == AdminArea.code)
    rows = db.session.execute(
        select(AdminArea.code, AdminArea.name, AdminArea.level, AdminArea.parent_code,
               AdminArea.unit_type, AdminArea.boundary_source, gridded.label("gridded"),
               geojson_column(AdminArea.geom, precision).label("geometry"))
        .where(AdminArea.level == level).order_by(AdminArea.code))
    features = []
    for r in rows:
        props = {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code,
                 "unit_type": r.unit_type, "boundary_source": r.boundary_source}
        if level == "community":
            props["gridded"] = r.gridded
        features.append({"type": "Feature", "id": r.code, "geometry": r.geometry, "properties": props})
    return feature_collection(features)


def grids_collection(user: User, community_code: str | None = None) -> dict:
    """FeatureCollection of the grids the user may see, optionally of one community.
    Properties: code, name, community_code."""
    query = (select(Grid.code, Grid.name, Grid.community_code, geojson_column(Grid.geom).label("geometry"))
             .where(grid_filter(user)).order_by(Grid.code))
    if community_code:
        query = query.where(Grid.community_code == community_code)
    return feature_collection([
        {"type": "Feature", "id": r.code, "geometry": r.geometry,
         "properties": {"code": r.code, "name": r.name, "community_code": r.community_code}}
        for r in db.session.execute(query)])


def bounds_of(col, condition) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of the geometries of ``col`` meeting ``condition``
    (SRID 4326 degrees), None when none does."""
    ext = gf.ST_Extent(col)
    box = db.session.execute(select(gf.ST_XMin(ext), gf.ST_YMin(ext), gf.ST_XMax(ext), gf.ST_YMax(ext))
                             .where(condition)).one()
    return None if box[0] is None else tuple(float(v) for v in box)


def scope_bounds(user: User) -> tuple[float, float, float, float] | None:
    """Bounding box (min_lon, min_lat, max_lon, max_lat) of the user's scope: their area, or
    their grids for a grid worker; all districts for an admin. None when nothing is loaded."""
    if user.role == "worker":
        return bounds_of(Grid.geom, grid_filter(user))
    if user.role == "admin" or not user.scope_code:
        return bounds_of(AdminArea.geom, AdminArea.level == "district")
    return bounds_of(AdminArea.geom, AdminArea.code == user.scope_code)


def units_bounds(user: User) -> tuple[float, float, float, float] | None:
    """Bounding box (min_lon, min_lat, max_lon, max_lat, SRID 4326) of the community-level units
    of the ``communities`` tile layer for the user (:func:`unit_filter`;
    for a grid worker it may reach beyond their grids); None without any."""
    return bounds_of(AdminArea.geom, unit_filter(user))


def area_name(code: str | None) -> str | None:
    """Display name of an area code (None if unknown)."""
    return None if not code else db.session.scalar(select(AdminArea.name).where(AdminArea.code == code))


def unit_filter(user: User):
    """SQL condition on :class:`AdminArea` selecting the village-level units of the user's scope
    (a grid worker: the communities of their grids)."""
    if user.role == "worker":
        return AdminArea.code.in_(select(Grid.community_code).where(grid_filter(user)))
    return (AdminArea.level == "community") & community_condition(user, AdminArea.code)


def scope_summary(user: User) -> dict:
    """Counts for the home page within the user's scope: grids, village-level units and those
    with grids, incidents; the scope's name and, for a grid worker, their grids (code, name)."""
    grids = db.session.scalar(select(func.count()).select_from(Grid).where(grid_filter(user)))
    communities = db.session.scalar(select(func.count(func.distinct(Grid.community_code)))
                                    .where(grid_filter(user)))
    incident_count = db.session.scalar(select(func.count()).select_from(Incident)
                                       .where(incident_filter(user)))
    units = db.session.scalar(select(func.count()).select_from(AdminArea).where(unit_filter(user)))
    worker_grids = db.session.execute(select(Grid.code, Grid.name).where(grid_filter(user))
                                      .order_by(Grid.code)).all() if user.role == "worker" else []
    return {"scope_name": area_name(user.scope_code), "grids": grids,
            "gridded_communities": communities, "incidents": incident_count,
            "units": units, "worker_grids": worker_grids}


def own_area_code(user: User) -> str | None:
    """The code of the area a user sees first: their scope's area; for an administrator (no
    scope) the first district loaded (None before any)."""
    if user.scope_code:
        return user.scope_code
    return db.session.scalar(select(func.min(AdminArea.code)).where(AdminArea.level == "district"))
