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
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from geoalchemy2 import functions as gf
from sqlalchemy import func, literal, select, true

from ..errors import BadInput, NotFound
from ..extensions import db
from ..models import AdminArea, Grid


@dataclass(frozen=True)
class Location:
    """Where a point lies. ``grid_code`` is None in an ungridded village."""

    district_code: str
    township_code: str
    community_code: str
    grid_code: str | None

    def as_dict(self) -> dict:
        return asdict(self)


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


def locate_staged(table: str, timings: dict | None = None) -> None:
    """Locate every point of a staging table at once, by the rule of this module's docstring.

    ``table``: a (temporary) table with columns ``idx int`` (unique), ``geom geometry(Point, 4326)``.
    Creates the temporary tables ``{table}_pts`` (the points in spatial order, GiST-indexed),
    ``{table}_community (idx, code)`` — the smallest covering village-level code, no row when none
    covers — and ``{table}_grid (idx, community_code, code)`` — per point and community, the
    smallest code of the covering grids of that community; join them with
    :func:`staged_location_sql`. All are dropped at commit. ``timings``, when given, receives the
    seconds of each step (``order_and_index``, ``communities``, ``grids``, ``result_indexes``).

    Speed: each join drives from the polygons (outer side; PostGIS prepares each polygon once and
    reuses it for all its points) into a GiST index on the points, instead of one index probe and
    an unprepared test per point: on 1M points several times faster than a plain ``UPDATE … FROM grids
    WHERE ST_Covers(...)`` (bench/locate.py, BENCHMARKS.md). The caller commits.
    """
    from sqlalchemy import text

    clock = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[step] = round(now - clock[0], 3)
        clock[0] = now

    run = db.session.execute
    # for this transaction only: hash joins and sorts of a million rows in memory, no JIT compile
    run(text("SET LOCAL work_mem = '256MB'"))
    run(text("SET LOCAL jit = off"))
    # the points in spatial order (rows of 0.02° × 0.02° cells), so that the points of one polygon
    # sit on few heap pages, with a GiST index: each polygon then finds its points in one index scan
    run(text(f"CREATE TEMP TABLE {table}_pts ON COMMIT DROP AS SELECT idx, geom FROM {table} "
             "ORDER BY floor(ST_Y(geom) * 50), floor(ST_X(geom) * 50)"))
    run(text(f"CREATE INDEX ON {table}_pts USING gist (geom)"))
    run(text(f"ANALYZE {table}_pts"))
    lap("order_and_index")
    # LATERAL … OFFSET 0 keeps the polygons on the outside (the planner would otherwise probe the
    # polygons' index once per point and test each point against an unprepared polygon)
    run(text(f"""
        CREATE TEMP TABLE {table}_community ON COMMIT DROP AS
        SELECT p.idx, min(a.code) AS code
        FROM admin_areas a
        CROSS JOIN LATERAL (SELECT idx FROM {table}_pts p WHERE ST_Covers(a.geom, p.geom) OFFSET 0) p
        WHERE a.level = 'community' GROUP BY p.idx"""))
    lap("communities")
    run(text(f"""
        CREATE TEMP TABLE {table}_grid ON COMMIT DROP AS
        SELECT p.idx, g.community_code, min(g.code) AS code
        FROM grids g
        CROSS JOIN LATERAL (SELECT idx FROM {table}_pts p WHERE ST_Covers(g.geom, p.geom) OFFSET 0) p
        GROUP BY p.idx, g.community_code"""))
    lap("grids")
    run(text(f"CREATE UNIQUE INDEX ON {table}_community (idx)"))
    run(text(f"CREATE INDEX ON {table}_grid (idx)"))
    run(text(f"ANALYZE {table}_community"))
    run(text(f"ANALYZE {table}_grid"))
    lap("result_indexes")


def staged_location_sql(table: str) -> str:
    """SQL selecting ``p.*`` of a staging table located by :func:`locate_staged` plus
    ``community_code``, ``district_code`` (null outside every district) and ``grid_code``
    (covering grid of the point's community; else — a point in a seam between a community's
    outline and its grids — the nearest, then the smallest code; null in an ungridded village)."""
    return f"""
        SELECT p.*, c.code AS community_code, a.district_code, COALESCE(lg.code, near.code) AS grid_code
        FROM {table} p
        LEFT JOIN {table}_community c ON c.idx = p.idx
        LEFT JOIN admin_areas a ON a.code = c.code
        LEFT JOIN {table}_grid lg ON lg.idx = p.idx AND lg.community_code = c.code
        LEFT JOIN LATERAL (SELECT code FROM grids WHERE lg.code IS NULL AND community_code = c.code
                           ORDER BY ST_Distance(geom, p.geom), code LIMIT 1) near ON true"""
