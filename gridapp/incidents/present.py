"""Incidents as the API and the pages show them: deadline flags, history, the case's JSON."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..core.clock import local_date, utcnow
from ..extensions import db
from ..models import CategoryRule, Department, Incident, IncidentApproval, IncidentEvent, User
from .rules import ACTION_LABELS, DEADLINE_STATES, DUE_SOON, STATE_NAMES
from .workflow import INCIDENT, allowed_actions, pending_approval, request_detail


def deadline_flags(incident: Incident, now: datetime | None = None) -> dict:
    """{overdue, due_soon, due_today} of a case at ``now`` (UTC); rules in the module docstring."""
    now = now or utcnow()
    deadline = incident.deadline_at
    if deadline is None or incident.status not in DEADLINE_STATES:
        return {"overdue": False, "due_soon": False, "due_today": False}
    overdue = now > deadline
    return {"overdue": overdue,
            "due_soon": not overdue and deadline - now <= DUE_SOON,
            "due_today": not overdue and local_date(deadline) == local_date(now)}


def history(incident: Incident) -> list[IncidentEvent]:
    """The case's history, oldest first."""
    return list(db.session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                                   .order_by(IncidentEvent.at, IncidentEvent.id)))


def event_dict(e: IncidentEvent) -> dict:
    """JSON of one history entry (``at`` ISO 8601 UTC)."""
    key = "verify_failed" if e.action == "verify" and not (e.data or {}).get("passed") else e.action
    return {"id": e.id, "at": e.at.isoformat(), "actor": e.actor.username, "actor_name": e.actor.display_name,
            "action": e.action, "action_label": str(ACTION_LABELS.get(key, e.action)),
            "from_state": e.from_state, "to_state": e.to_state, "note": e.note,
            "data": e.data or {}, "attachments": e.attachments or []}


def rework_count(incident: Incident) -> int:
    """How many verifications of the case failed (返工), from the history."""
    return sum(1 for e in history(incident) if e.action == "verify" and not (e.data or {}).get("passed"))


def extension_count(incident: Incident) -> int:
    """How many extensions of the case were approved (延期次数), from the approvals."""
    return len(list(db.session.scalars(select(IncidentApproval.id).where(
        IncidentApproval.incident_id == incident.id, IncidentApproval.action == "extend",
        IncidentApproval.decision == "approved"))))


def case_dict(user: User, incident: Incident, now: datetime | None = None) -> dict:
    """JSON of one case for ``GET /api/v1/incidents/<id>``: state, version, deadline (UTC),
    flags, assignee, pending approval, counts, allowed actions and history."""
    pending = pending_approval(incident)
    rule = db.session.get(CategoryRule, incident.category_code)
    department = db.session.get(Department, incident.department_code) if incident.department_code else None
    lon, lat = db.session.execute(select(Incident.geom.ST_X(), Incident.geom.ST_Y())
                                  .where(Incident.id == incident.id)).one()
    return {
        "id": incident.id, "status": incident.status, "state": incident.status,
        "state_name": str(STATE_NAMES[incident.status]), "version": incident.version,
        "category_code": incident.category_code, "category_name": incident.category.name,
        "level": rule.level if rule else None, "description": incident.description,
        "lon": lon, "lat": lat, "location_accuracy_m": incident.location_accuracy_m,
        "grid_code": incident.grid_code, "community_code": incident.community_code,
        "reporter": incident.reporter.username, "reported_at": incident.reported_at.isoformat(),
        "filed_at": _iso(incident.filed_at), "deadline_at": _iso(incident.deadline_at),
        "handled_at": _iso(incident.handled_at), "closed_at": _iso(incident.closed_at),
        **deadline_flags(incident, now),
        "department_code": incident.department_code,
        "department_name": department.name if department else None,
        "handler": incident.handler.username if incident.handler else None,
        "handler_name": incident.handler.display_name if incident.handler else None,
        "rating": incident.rating, "reworks": rework_count(incident),
        "extensions": extension_count(incident),
        "pending_approval": None if pending is None else {
            "id": pending.id, "action": pending.action, "requested_by": pending.requester.username,
            "label": str(ACTION_LABELS.get(pending.action, pending.action)),
            "requested_by_name": pending.requester.display_name,
            "detail": request_detail(incident, INCIDENT.pending(incident)),
            "requested_at": pending.requested_at.isoformat(), "note": pending.note, "data": pending.data},
        "allowed_actions": sorted({t.action for t in allowed_actions(user, incident)}),
        "history": [event_dict(e) for e in history(incident)],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
