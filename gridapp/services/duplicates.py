"""Possible duplicates (疑似重复): open incidents of the same category within 50 metres
(geodesic, PostGIS geography) reported in the last 7 days, among the cases the user may see.
A secretary (or above) merges a duplicate with the ``merge`` action of the workflow."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from geoalchemy2 import Geography, WKBElement
from geoalchemy2.shape import to_shape
from sqlalchemy import cast, func, select

from ..extensions import db
from ..models import Incident, User
from .locate import point_expr
from .workflow import OPEN_STATES, utcnow, visible_filter

RADIUS_M = 50.0
WINDOW = timedelta(days=7)


def candidates(user: User, category_code: str, lon: float, lat: float, *, exclude_id: int | None = None,
               now: datetime | None = None, limit: int = 20) -> list[tuple[Incident, float]]:
    """(incident, distance in metres) of possible duplicates of a report of ``category_code`` at
    (lon, lat) WGS84, nearest first: same category, state open (reported … handled, deferred),
    reported within :data:`WINDOW` before ``now``, within :data:`RADIUS_M` metres."""
    now = now or utcnow()
    lon, lat = float(lon), float(lat)
    here = cast(point_expr(lon, lat), Geography)
    distance = func.ST_Distance(cast(Incident.geom, Geography), here)
    q = (select(Incident, distance).where(
        visible_filter(user), Incident.category_code == category_code, Incident.status.in_(OPEN_STATES),
        Incident.reported_at >= now - WINDOW, Incident.reported_at <= now,
        Incident.geom.op("&&")(_search_box(lon, lat)), func.ST_DWithin(cast(Incident.geom, Geography), here, RADIUS_M))
        .order_by(distance, Incident.id).limit(limit))
    if exclude_id is not None:
        q = q.where(Incident.id != exclude_id)
    return [(i, round(float(d), 1)) for i, d in db.session.execute(q)]


def _search_box(lon: float, lat: float):
    """A lon/lat box (SRID 4326) holding every point within :data:`RADIUS_M` metres of (lon, lat),
    so that the GiST index of incidents.geom prunes before the exact geodesic test. A degree of
    latitude is at least 110,574 m and a degree of longitude at latitude φ at least
    110,574 · cos φ m on the WGS84 ellipsoid; the box is 10 % wider still (a superset: results unchanged)."""
    dlat = RADIUS_M / 110_574.0 * 1.1
    cos_lat = math.cos(math.radians(min(90.0, abs(lat) + dlat)))
    dlon = 360.0 if cos_lat < 1e-3 else min(360.0, RADIUS_M / (110_574.0 * cos_lat) * 1.1)
    return func.ST_MakeEnvelope(lon - dlon, lat - dlat, lon + dlon, lat + dlat, 4326)


def candidates_of(user: User, incident: Incident, *, at: tuple[float, float] | None = None
                  ) -> list[tuple[Incident, float]]:
    """Possible duplicates of an existing case (other cases, same rule, relative to its report time).

    ``at``: the case's (lon, lat) when the caller knows it (saves reading the point back)."""
    point = to_shape(incident.geom) if at is None and isinstance(incident.geom, WKBElement) else None
    if at is not None:
        lon, lat = at
    elif point is not None:
        lon, lat = point.x, point.y
    else:
        lon, lat = db.session.execute(select(Incident.geom.ST_X(), Incident.geom.ST_Y())
                                      .where(Incident.id == incident.id)).one()
    return [(i, d) for i, d in candidates(user, incident.category_code, lon, lat, exclude_id=incident.id,
                                          now=max(incident.reported_at, utcnow()))
            if i.reported_at <= incident.reported_at or i.id < incident.id]


def as_list(found: list[tuple[Incident, float]]) -> list[dict]:
    """JSON of candidates: [{id, distance_m, status, reported_at (UTC)}]."""
    return [{"id": i.id, "distance_m": d, "status": i.status, "reported_at": i.reported_at.isoformat()}
            for i, d in found]
