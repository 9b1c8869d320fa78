"""Point → community, grid, township, district: the one location rule of the product.

Rule (the pure twin is :mod:`gridapp.geo.locate`; tests check that both agree):

1. community (社区 or 村) = the smallest code among village-level units whose boundary *covers*
   the point (ST_Covers: boundary included). A point on a shared edge or corner is covered by
   several units and goes to the smallest code. None covers → outside every district (the
   village-level units tile their districts).
2. grid = among that community's grids, those covering the point first, then the nearest, then
   the smallest code; "nearest" only decides for a point on the community's outline that falls in
   a floating-point seam between the outline and its grids' outlines. Null in an ungridded village.
3. township and district = the community's parent and district.

One point: :func:`locate` / :func:`location_select` (SQL). Many points (the incident import):
:func:`locate_many` (shapely, vectorised: :func:`gridapp.geo.locate.locate_points`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import shapely
from flask_babel import gettext as _
from geoalchemy2 import functions as gf
from sqlalchemy import func, literal, select, text, true

from ..core.errors import BadInput, NotFound
from ..core.scope import Location
from ..extensions import db
from ..geo.locate import locate_points
from ..models import AdminArea, Grid


def parse_lonlat(lon, lat) -> tuple[float, float]:
    """Parse longitude and latitude (WGS84 degrees, strings or numbers).

    Raises BadInput when either is missing, not a finite number, or out of range
    (lon −180…180, lat −90…90).
    """
    values = []
    for name, raw, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if raw is None or raw == "" or isinstance(raw, bool):
            raise BadInput(_("缺少坐标 %(name)s", name=name), code="invalid_coordinates")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise BadInput(_("坐标 %(name)s 必须是数字，收到 %(value)s", name=name, value=repr(raw)),
                           code="invalid_coordinates") from None
        if not (-limit <= value <= limit):  # also rejects NaN
            raise BadInput(_("坐标 %(name)s 必须在 -%(limit)s 与 %(limit)s 之间，收到 %(value)s",
                             name=name, limit=f"{limit:g}", value=repr(raw)), code="invalid_coordinates")
        values.append(value)
    return values[0], values[1]


def point_expr(lon: float, lat: float):
    """SQL expression of a WGS84 point (SRID 4326, lon/lat order)."""
    return gf.ST_SetSRID(gf.ST_MakePoint(lon, lat), 4326)


def locate(lon, lat) -> Location:
    """Locate a WGS84 point (lon, lat in degrees) by the rule in this module's docstring.

    Raises BadInput for malformed or out-of-range coordinates and NotFound when no
    village-level unit covers the point.
    """
    lon, lat = parse_lonlat(lon, lat)
    loc = location_of(db.session.execute(location_select(lon, lat)).one_or_none())
    if loc is None:
        raise outside_district(lon, lat)
    return loc


def outside_district(lon: float, lat: float) -> NotFound:
    """The error of a point (lon, lat degrees) that no village-level unit covers."""
    return NotFound(_("点 (%(lon)s, %(lat)s) 不在任何辖区内", lon=lon, lat=lat), code="outside_district")


def location_select(lon, lat, joined=(), **extra):
    """The location rule of this module's docstring for one point as one SELECT: columns ``code``
    (community), ``parent_code`` (township), ``district_code``, ``grid``, then one column per
    ``extra`` (name → scalar SQL expression, uncorrelated or over the columns of the ``joined``
    subqueries, each LEFT JOINed ON true: at most one row each). ``lon``/``lat``: WGS84 degrees,
    values or bind parameters. With extras the SELECT always yields one row (location columns null
    outside every district); without, no row outside every district."""
    pt = point_expr(lon, lat)
    community = (select(AdminArea.code, AdminArea.parent_code, AdminArea.district_code)
                 .where(AdminArea.level == "community", gf.ST_Covers(AdminArea.geom, pt))
                 .order_by(AdminArea.code).limit(1).subquery())
    of_community = Grid.community_code == community.c.code
    # covering first (the smallest code), only then — in a seam — the nearest: COALESCE evaluates
    # the second sub-select only when no grid of the community covers the point
    grid = func.coalesce(
        select(func.min(Grid.code)).where(of_community, gf.ST_Covers(Grid.geom, pt))
        .correlate(community).scalar_subquery(),
        select(Grid.code).where(of_community).order_by(gf.ST_Distance(Grid.geom, pt), Grid.code)
        .limit(1).correlate(community).scalar_subquery())
    columns = [community.c.code, community.c.parent_code, community.c.district_code, grid.label("grid")]
    if not extra:
        return select(*columns)
    # one row even outside every district: (SELECT 1) LEFT JOIN community ON true
    source = select(literal(1).label("one")).subquery().outerjoin(community, true())
    for sub in joined:
        source = source.outerjoin(sub, true())
    return select(*columns, *(expr.label(name) for name, expr in extra.items())).select_from(source)


def location_of(row) -> Location | None:
    """The Location of a row of :func:`location_select` (None outside every district)."""
    if row is None or row.code is None:
        return None
    return Location(row.district_code, row.parent_code, row.code, row.grid)


@dataclass(frozen=True)
class Located:
    """Many points located at once (:func:`locate_many`): per point, in input order, the
    ``community_code``, ``district_code`` and ``grid_code`` (numpy object arrays; None where no
    village-level unit covers the point, grid None also in an ungridded village), and ``outside``:
    the positions (ascending) of the points that no village-level unit covers."""

    community_code: np.ndarray
    district_code: np.ndarray
    grid_code: np.ndarray
    outside: np.ndarray


def locate_many(lon, lat, timings: dict | None = None) -> Located:
    """Locate many WGS84 points (lon, lat: sequences of degrees, already parsed and in range) at
    once by the rule of this module's docstring — what the incident import runs.

    One query loads the village-level units whose bounding box meets the points' bounding box and
    every grid of those units (WKB); :func:`gridapp.geo.locate.locate_points` then applies the rule
    with shapely 2 (prepared polygons, vectorised over the points; GEOS ``intersects`` of a point and
    a polygon = ``ST_Covers``: boundary included; seams → nearest grid, then smallest code), and the
    positions become codes. ``timings``, when given, receives the seconds of each step (``load``,
    ``locate``, ``codes``). Reads only; raises nothing of its own; ~1 s for 1M points in a
    10,000-grid city (bench/locate.py, BENCHMARKS.md).
    """
    clock = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[step] = round(now - clock[0], 3)
        clock[0] = now

    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    n = len(x)
    if n == 0:
        empty = np.empty(0, dtype=object)
        return Located(empty, empty, empty, np.empty(0, dtype=np.int64))
    rows = db.session.execute(text("""
        WITH c AS (SELECT code, district_code, geom FROM admin_areas
                   WHERE level = 'community' AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))
        SELECT 'c', code, district_code, ST_AsBinary(geom) FROM c
        UNION ALL
        SELECT 'g', g.code, g.community_code, ST_AsBinary(g.geom) FROM grids g JOIN c ON g.community_code = c.code
        """), {"x0": float(x.min()), "y0": float(y.min()), "x1": float(x.max()), "y1": float(y.max())}).all()
    units = [r for r in rows if r[0] == "c"]
    grids = [r for r in rows if r[0] == "g"]
    lap("load")
    community, grid = locate_points(
        x, y, [r[1] for r in units], shapely.from_wkb([bytes(r[3]) for r in units]),
        [r[1] for r in grids], [r[2] for r in grids], shapely.from_wkb([bytes(r[3]) for r in grids]))
    lap("locate")
    # position -1 (none) picks the None appended at the end
    unit_codes = np.array([r[1] for r in units] + [None], dtype=object)
    districts = np.array([r[2] for r in units] + [None], dtype=object)
    grid_codes = np.array([r[1] for r in grids] + [None], dtype=object)
    located = Located(unit_codes[community], districts[community], grid_codes[grid], np.flatnonzero(community < 0))
    lap("codes")
    return located
