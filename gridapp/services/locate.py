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

from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from geoalchemy2 import functions as gf
from sqlalchemy import not_, select

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
    pt = point_expr(lon, lat)
    community = db.session.execute(
        select(AdminArea.code, AdminArea.parent_code, AdminArea.district_code)
        .where(AdminArea.level == "community", gf.ST_Covers(AdminArea.geom, pt))
        .order_by(AdminArea.code).limit(1)).one_or_none()
    if community is None:
        raise NotFound(_("点 (%(lon)s, %(lat)s) 不在任何辖区内", lon=lon, lat=lat), code="outside_district")
    grid = db.session.scalar(
        select(Grid.code).where(Grid.community_code == community.code)
        .order_by(not_(gf.ST_Covers(Grid.geom, pt)), gf.ST_Distance(Grid.geom, pt), Grid.code)
        .limit(1))
    return Location(community.district_code, community.parent_code, community.code, grid)

