"""Possible duplicates (疑似重复): open incidents of the same category within 50 metres
(geodesic, PostGIS geography) reported in the last 7 days, among the cases the user may see.
A secretary (or above) merges a duplicate with the ``merge`` action of the workflow."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from geoalchemy2 import Geography, WKBElement
from geoalchemy2.shape import to_shape
from sqlalchemy import cast, func, literal, select
from sqlalchemy.orm import aliased

from ..boundaries.locate import point_expr
from ..core.clock import utcnow
from ..extensions import db
from ..models import Incident, User
from .rules import OPEN_STATES
from .visibility import visible_filter

RADIUS_M = 50.0
WINDOW = timedelta(days=7)
#: At most this many candidates are listed, nearest first.
LIMIT = 20


def candidates(user: User, category_code: str, lon: float, lat: float, *, exclude_id: int | None = None,
               now: datetime | None = None, limit: int = LIMIT) -> list[tuple[Incident, float]]:
    """(incident, distance in metres) of possible duplicates of a report of ``category_code`` at
    (lon, lat) WGS84, nearest first: same category, state open (reported … handled, deferred),
    reported within :data:`WINDOW` before ``now``, within :data:`RADIUS_M` metres."""
    lon, lat = float(lon), float(lat)
    near, conditions, distance = candidate_conditions(user, category_code, lon, lat, search_box(lon, lat),
                                                      now or utcnow())
    q = select(near, distance).where(*conditions).order_by(distance, near.id).limit(limit)
    if exclude_id is not None:
        q = q.where(near.id != exclude_id)
    return [(i, round(float(d), 1)) for i, d in db.session.execute(q)]


def candidate_conditions(user: User, category_code, lon, lat, box, now) -> tuple[type[Incident], list, object]:
    """(near, WHERE conditions on near, geodesic distance in metres) of the rule of
    :func:`candidates`: ``near`` is the incidents in the search ``box`` (the four numbers of
    :func:`search_box`), an alias of :class:`Incident` to select from. ``category_code``,
    ``lon``/``lat`` (WGS84 degrees) and ``now`` (aware UTC) are values or bind parameters;
    ``user`` anything with ``id``, ``role`` and ``scope_code``
    (:func:`gridapp.incidents.visibility.visible_filter`)."""
    # the cases in the box are read first, alone, and each once (OFFSET 0 is a planning fence): the
    # planner would otherwise AND the box with the index of reported_at — a week of a city's cases,
    # ~20,000 rows. The box is a sub-select, opaque to the planner, so every execution gets the same
    # plan and a prepared statement keeps its generic plan instead of being planned anew each time
    # (bench/create.py). The rows themselves come out of the fence (not only their ids, to be read
    # again by primary key: twice the page reads for every case in the box).
    envelope = select(func.ST_MakeEnvelope(*box, 4326)).scalar_subquery()
    near = aliased(Incident, select(Incident).where(Incident.geom.op("&&")(envelope)).offset(0).subquery("near"))
    here = cast(point_expr(lon, lat), Geography)
    distance = func.ST_Distance(cast(near.geom, Geography), here)
    # the states as literals, not one expanding list: the statement can be compiled once (services/compiled.py)
    return near, [visible_filter(user, near), near.category_code == category_code,
                  near.status.in_([literal(state) for state in OPEN_STATES]),
                  near.reported_at >= now - WINDOW, near.reported_at <= now,
                  func.ST_DWithin(cast(near.geom, Geography), here, RADIUS_M)], distance


def search_box(lon: float, lat: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a lon/lat box (degrees) holding every point within
    :data:`RADIUS_M` metres of (lon, lat), so that the GiST index of incidents.geom prunes before
    the exact geodesic test. A degree of latitude is at least 110,574 m and a degree of longitude
    at latitude φ at least 110,574 · cos φ m on the WGS84 ellipsoid; the box is 10 % wider still
    (a superset: results unchanged)."""
    dlat = RADIUS_M / 110_574.0 * 1.1
    cos_lat = math.cos(math.radians(min(90.0, abs(lat) + dlat)))
    dlon = 360.0 if cos_lat < 1e-3 else min(360.0, RADIUS_M / (110_574.0 * cos_lat) * 1.1)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


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
    return [candidate_json(i.id, d, i.status, i.reported_at) for i, d in found]


def candidate_json(incident_id: int, distance_m: float, status: str, reported_at: datetime) -> dict:
    """One candidate as the API lists it: {id, distance_m (1 decimal), status, reported_at (ISO 8601 UTC)}."""
    return {"id": incident_id, "distance_m": round(float(distance_m), 1), "status": status,
            "reported_at": reported_at.isoformat()}
