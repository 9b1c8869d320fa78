"""Open311 GeoReport v2 (open311.org's specification) over the incidents: services are the leaf
incident categories (GB/T 30428.2, grouped by their parent), service requests are incidents.

Mapping: ``service_request_id`` = the incident id; ``status`` = ``open`` for the open states of
the closed loop (:data:`gridapp.incidents.rules.OPEN_STATES`), else ``closed``, with the state's
name as ``status_notes``; ``expected_datetime`` = the deadline; ``address`` = the grid's name;
``lat``/``long`` WGS84. A client system authenticates with an API key
(:func:`gridapp.accounts.service.user_for_token`) and reads and reports as that key's user:
scoped like every read (:func:`gridapp.incidents.visibility.visible_filter`); a new request is
located by the one location rule. Times are ISO 8601 with the UTC offset.
"""
from __future__ import annotations

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..core import params as p
from ..core.casework import find_in_scope
from ..extensions import db
from ..models import Grid, Incident, IncidentCategory, IncidentEvent, User
from .reports import leaf_categories, report_incident
from .rules import OPEN_STATES, STATE_NAMES
from .visibility import visible_filter

#: The most requests one GET returns (the FixMyStreet paging extension: ``page``, ``page_size``).
PAGE_SIZE_MAX = 1000


def services() -> list[dict]:
    """The services (GeoReport v2 "GET services"): one per leaf incident category."""
    parent = aliased(IncidentCategory)
    names = dict(db.session.execute(select(IncidentCategory.code, parent.name)
                                    .join(parent, parent.code == IncidentCategory.parent_code)).all())
    return [{"service_code": c.code, "service_name": c.name, "description": c.name, "metadata": False,
             "type": "realtime", "keywords": None, "group": names.get(c.code)} for c in leaf_categories()]


def service_definition(service_code) -> dict:
    """The definition of one service (no extra attributes). NotFound (404) for an unknown code."""
    leaves = {c.code for c in leaf_categories()}
    code = find_in_scope(IncidentCategory, IncidentCategory.code.in_(leaves), service_code, "service_not_found",
                         lambda c: f"service_code {c} not found", field="service_code",
                         key=IncidentCategory.code).code
    return {"service_code": code, "attributes": []}


def _request(incident: Incident, grid_names: dict, category_names: dict) -> dict:
    lon, lat = incident_point(incident)
    return {"service_request_id": str(incident.id), "status": "open" if incident.status in OPEN_STATES else "closed",
            "status_notes": str(STATE_NAMES.get(incident.status, incident.status)),
            "service_name": category_names.get(incident.category_code), "service_code": incident.category_code,
            "description": incident.description, "agency_responsible": incident.department_code,
            "service_notice": None, "requested_datetime": incident.reported_at.isoformat(),
            "updated_datetime": (incident.closed_at or incident.handled_at or incident.filed_at
                                 or incident.reported_at).isoformat(),
            "expected_datetime": incident.deadline_at.isoformat() if incident.deadline_at else None,
            "address": grid_names.get(incident.grid_code), "address_id": incident.grid_code, "zipcode": None,
            "lat": lat, "long": lon, "media_url": None}


def incident_point(incident: Incident) -> tuple[float, float]:
    """(lon, lat) of an incident's point."""
    point = to_shape(incident.geom)
    return point.x, point.y


def _as_requests(incidents: list[Incident]) -> list[dict]:
    grid_names = dict(db.session.execute(select(Grid.code, Grid.name).where(
        Grid.code.in_({i.grid_code for i in incidents if i.grid_code}))).all())
    category_names = dict(db.session.execute(select(IncidentCategory.code, IncidentCategory.name)).all())
    return [_request(i, grid_names, category_names) for i in incidents]


def requests(user: User, args) -> list[dict]:
    """Service requests the user may see ("GET requests"): ``service_request_id`` (comma-separated
    ids; then the other filters are ignored, as the specification says), ``service_code``,
    ``start_date``/``end_date`` (ISO 8601 on requested_datetime), ``status`` (open | closed, comma
    list), ``page``/``page_size`` (≤ :data:`PAGE_SIZE_MAX`, default 1000; newest first). Raises
    BadInput naming the parameter."""
    conds = [visible_filter(user)]
    if args.get("service_request_id"):
        ids = [p.integer(v.strip(), "service_request_id") for v in str(args["service_request_id"]).split(",")]
        conds.append(Incident.id.in_(ids))
    else:
        if args.get("service_code"):
            conds.append(Incident.category_code == p.text(args["service_code"], "service_code", 8))
        for name, op in (("start_date", "__ge__"), ("end_date", "__le__")):
            if args.get(name):
                conds.append(getattr(Incident.reported_at, op)(p.instant(args[name], name)))
        if args.get("status"):
            wanted = {p.choice(s.strip(), "status", ("open", "closed")) for s in str(args["status"]).split(",")}
            if wanted == {"open"}:
                conds.append(Incident.status.in_(OPEN_STATES))
            elif wanted == {"closed"}:
                conds.append(Incident.status.not_in(OPEN_STATES))
    page = p.integer(args["page"], "page", 1, p.PAGE_MAX) if args.get("page") else 1
    size = p.integer(args["page_size"], "page_size", 1, PAGE_SIZE_MAX) if args.get("page_size") else PAGE_SIZE_MAX
    rows = db.session.scalars(select(Incident).where(*conds).order_by(Incident.reported_at.desc(), Incident.id.desc())
                              .limit(size).offset((page - 1) * size)).all()
    return _as_requests(list(rows))


def request(user: User, request_id) -> dict:
    """One service request the user may see ("GET request"). NotFound (404) otherwise."""
    incident = find_in_scope(Incident, visible_filter(user), request_id, "request_not_found",
                             lambda i: f"service_request_id {i} not found", field="service_request_id")
    return _as_requests([incident])[0]


def create_request(user: User, form) -> dict:
    """Report a service request ("POST requests", form fields ``service_code``, ``lat``, ``long``,
    ``description``; ``media_url`` is noted in the description) as an incident of ``user`` — the
    checks and the location rule of every report. Returns {"service_request_id", "service_notice",
    "account_id"}. Raises BadInput (400), Forbidden (403 outside the key's scope), Unprocessable
    (422 outside every district)."""
    description = str(form.get("description") or "")
    if form.get("media_url"):
        description = f"{description}\n{p.text(form['media_url'], 'media_url', 1000)}".strip()
    incident = report_incident(user, form.get("service_code"), description, form.get("long"), form.get("lat"))
    return {"service_request_id": str(incident.id), "service_notice": None, "account_id": None}


def updates(user: User, args) -> list[dict]:
    """Status changes of the requests the user may see (FixMyStreet's ``servicerequestupdates``
    extension): ``start_date``/``end_date`` (ISO 8601) on the update's time. Each: update_id,
    service_request_id, status, updated_datetime, description (the action's note), media_url."""
    conds = [visible_filter(user)]
    for name, op in (("start_date", "__ge__"), ("end_date", "__le__")):
        if args.get(name):
            conds.append(getattr(IncidentEvent.at, op)(p.instant(args[name], name)))
    rows = db.session.execute(select(IncidentEvent, Incident.status).join(Incident).where(*conds)
                              .order_by(IncidentEvent.at, IncidentEvent.id).limit(PAGE_SIZE_MAX)).all()
    return [{"update_id": str(e.id), "service_request_id": str(e.incident_id),
             "status": "open" if e.to_state in OPEN_STATES else "closed", "updated_datetime": e.at.isoformat(),
             "description": e.note or str(STATE_NAMES.get(e.to_state, e.to_state)), "media_url": None}
            for e, _status in rows]
