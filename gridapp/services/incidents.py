"""Reporting and listing incidents (事件)."""
from __future__ import annotations

from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import select

from ..errors import BadInput, Unprocessable
from ..extensions import db
from ..models import Incident, IncidentCategory, IncidentEvent, User
from .locate import locate_with, outside_district, parse_lonlat, point_expr
from .scope import incident_filter, require_location_in_scope, worker_grids_expr
from .workflow import check_attachments, deadline_flags, utcnow

DESCRIPTION_MAX = 2000


def leaf_categories() -> list[IncidentCategory]:
    """Categories an incident may use (those without children), ordered by code."""
    parents = select(IncidentCategory.parent_code).where(IncidentCategory.parent_code.is_not(None))
    return list(db.session.scalars(select(IncidentCategory)
                                   .where(IncidentCategory.code.not_in(parents))
                                   .order_by(IncidentCategory.code)))


def _check_category_given(code) -> str:
    if not isinstance(code, str) or not code.strip():
        raise BadInput(_("请选择事件类别 (category_code)"), code="invalid_category")
    return code


def _leaf_category_exists(code: str):
    """SQL EXISTS: ``code`` is a category without children."""
    has_children = select(IncidentCategory.code).where(IncidentCategory.parent_code == code).exists()
    return select(IncidentCategory.code).where(IncidentCategory.code == code, ~has_children).exists()


def _bad_category(code: str) -> BadInput:
    return BadInput(_("事件类别 %(code)s 不存在或不是末级类别", code=repr(code)), code="invalid_category")


def _check_category(code) -> str:
    code = _check_category_given(code)
    if not db.session.scalar(select(_leaf_category_exists(code))):
        raise _bad_category(code)
    return code


def _check_description(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise BadInput(_("请填写事件描述 (description)"), code="invalid_description")
    text = text.strip()
    if len(text) > DESCRIPTION_MAX:
        raise BadInput(_("事件描述不能超过 %(max)s 个字", max=DESCRIPTION_MAX),
                       code="invalid_description")
    return text


def report_incident(user: User, category_code, description, lon, lat, photos=None) -> Incident:
    """Report an incident at a WGS84 point (lon, lat degrees) and locate it into its grid.

    ``photos``: optional list of attachment references (``photo:<sha256>`` of uploaded photos),
    recorded on the first history entry (action ``report``, — → reported).
    One transaction. Raises BadInput (bad category, empty description, malformed point),
    Unprocessable (422) for a point outside every district, Forbidden when the point lies
    outside the user's scope (a grid worker outside their own grids).
    """
    incident = _add_incident(user, category_code, description, lon, lat, photos)
    db.session.commit()
    return incident


def report_incident_summary(user: User, category_code, description, lon, lat, photos=None) -> dict:
    """Report an incident as :func:`report_incident` does (same checks, errors and single
    transaction) and return what the API answers: {id, grid_code, community_code, status,
    reported_at (ISO 8601 UTC), possible_duplicates [{id, distance_m, status, reported_at}]}.

    The possible duplicates (services/duplicates.py, relative to this report) are looked up
    inside the transaction, before the commit, so that nothing is reloaded after it.
    """
    from .duplicates import as_list, candidates_of

    incident = _add_incident(user, category_code, description, lon, lat, photos)
    found = as_list(candidates_of(user, incident, at=(float(lon), float(lat))))
    summary = {"id": incident.id, "grid_code": incident.grid_code, "community_code": incident.community_code,
               "status": incident.status, "reported_at": incident.reported_at.isoformat(),
               "possible_duplicates": found}
    db.session.commit()
    return summary


def _add_incident(user: User, category_code, description, lon, lat, photos) -> Incident:
    """Check and add the incident and its first history row (flushed, not committed)."""
    category_code = _check_category_given(category_code)
    try:
        description = _check_description(description)
        lon, lat = parse_lonlat(lon, lat)
    except BadInput:
        _check_category(category_code)  # an unknown category is reported first, as always
        raise
    # one round trip: category check, location and (for a worker) the assigned grids
    extra = {"category_ok": _leaf_category_exists(category_code)}
    if user.role == "worker":
        extra["worker_grids"] = worker_grids_expr(user)
    loc, found = locate_with(lon, lat, **extra)
    if not found["category_ok"]:
        raise _bad_category(category_code)
    if loc is None:
        raise Unprocessable(outside_district(lon, lat).message, code="outside_district")
    require_location_in_scope(user, loc, found.get("worker_grids"))
    photos = check_attachments(photos)
    incident = Incident(category_code=category_code, description=description,
                        geom=point_expr(lon, lat), grid_code=loc.grid_code,
                        community_code=loc.community_code, district_code=loc.district_code,
                        reporter_id=user.id, reported_at=utcnow())
    db.session.add(incident)
    db.session.flush()
    db.session.add(IncidentEvent(incident_id=incident.id, actor_id=user.id, at=incident.reported_at,
                                 action="report", from_state=None, to_state=incident.status,
                                 data={}, attachments=photos))
    db.session.flush()
    return incident


def visible_incidents(user: User, limit: int = 500) -> list[Incident]:
    """The incidents the user may see, newest first (at most ``limit``)."""
    return list(db.session.scalars(select(Incident).where(incident_filter(user))
                                   .order_by(Incident.reported_at.desc(), Incident.id.desc())
                                   .limit(limit)))


def incident_feature(incident: Incident) -> dict:
    """GeoJSON Feature of an incident (Point, lon/lat; reported_at ISO 8601 UTC)."""
    return {
        "type": "Feature",
        "id": incident.id,
        "geometry": mapping(to_shape(incident.geom)),
        "properties": {
            "id": incident.id,
            "category_code": incident.category_code,
            "category_name": incident.category.name,
            "description": incident.description,
            "grid_code": incident.grid_code,
            "community_code": incident.community_code,
            "status": incident.status,
            "reported_at": incident.reported_at.isoformat(),
            "version": incident.version,
            "deadline_at": incident.deadline_at.isoformat() if incident.deadline_at else None,
            "overdue": deadline_flags(incident)["overdue"],
        },
    }
