"""Disputes as the API, the pages and the map show them (reads only; nothing is written here)."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from ..accounts import pii
from ..core.clock import utcnow
from ..extensions import db
from ..geo.shapes import geojson_geometry
from ..models import Dispute, DisputeEvent, DisputeIncident, DisputeVisit, MediationSession, User
from .rules import ACTION_LABELS, HANDLING_ROLE, OPEN_STATES, RISK_NAMES, STATE_NAMES
from .workflow import DISPUTE, allowed_actions, pending_approval


def overdue(dispute: Dispute, now: datetime | None = None) -> bool:
    """True when the dispute is registered or mediating and ``now`` (UTC) is past its deadline
    (30 days from registration plus approved extensions)."""
    return dispute.status in OPEN_STATES and (now or utcnow()) > dispute.deadline_at


def party_dicts(dispute: Dispute, shown=None) -> list[dict]:
    """The parties: names of persons, ID numbers and phones masked (:mod:`gridapp.accounts.pii`)
    unless ``shown(party, field)`` gives the value to show (:func:`gridapp.disputes.actions.
    reveal_parties` passes one that logs each full view). Writes nothing itself."""
    shown = shown or (lambda party, field: pii.MASKERS[field](getattr(party, field)))
    return [{"id": party.id, "kind": party.kind,
             "name": shown(party, "name") if party.kind == "person" else party.name,
             "id_number": shown(party, "id_number"), "phone": shown(party, "phone")} for party in dispute.parties]


def history(dispute: Dispute) -> list[DisputeEvent]:
    """The dispute's history, oldest first."""
    return list(db.session.scalars(select(DisputeEvent).where(DisputeEvent.dispute_id == dispute.id)
                                   .order_by(DisputeEvent.at, DisputeEvent.id)))


def sessions(dispute: Dispute) -> list[MediationSession]:
    """The mediation sessions, by date."""
    return list(db.session.scalars(select(MediationSession).where(MediationSession.dispute_id == dispute.id)
                                   .order_by(MediationSession.held_on, MediationSession.id)))


def visits(dispute: Dispute) -> list[DisputeVisit]:
    """The follow-up visits, oldest first."""
    return list(db.session.scalars(select(DisputeVisit).where(DisputeVisit.dispute_id == dispute.id)
                                   .order_by(DisputeVisit.visited_at, DisputeVisit.id)))


def linked_incidents(dispute: Dispute) -> list[int]:
    """Ids of the incidents linked to the dispute."""
    return list(db.session.scalars(select(DisputeIncident.incident_id).where(DisputeIncident.dispute_id == dispute.id)
                                   .order_by(DisputeIncident.incident_id)))


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def dispute_dict(user: User, dispute: Dispute, parties: list[dict] | None = None, now: datetime | None = None) -> dict:
    """JSON of one dispute (``GET /api/v1/disputes/<id>``): facts, routing, state, version,
    deadline (UTC) and overdue, outcome, parties (masked unless revealed), sessions, visits,
    linked incidents, pending approval, allowed actions and history. ``parties``: as revealed by
    :func:`gridapp.disputes.actions.reveal_parties` (default: masked). Writes nothing."""
    lon, lat = db.session.execute(select(Dispute.geom.ST_X(), Dispute.geom.ST_Y())
                                  .where(Dispute.id == dispute.id)).one()
    pending = pending_approval(dispute)
    parties = party_dicts(dispute) if parties is None else parties
    out = {
        "id": dispute.id, "status": dispute.status, "state_name": str(STATE_NAMES[dispute.status]),
        "version": dispute.version, "type_code": dispute.type_code, "type_name": dispute.type.name,
        "summary": dispute.summary, "lon": lon, "lat": lat, "grid_code": dispute.grid_code,
        "community_code": dispute.community_code, "district_code": dispute.district_code,
        "source": dispute.source, "amount": None if dispute.amount is None else float(dispute.amount),
        "risk_level": dispute.risk_level, "escalation_risk": dispute.escalation_risk,
        "difficulty": dispute.difficulty, "handling_level": HANDLING_ROLE[dispute.difficulty],
        "leader": dispute.leader, "registered_by": dispute.registrar.username,
        "registered_at": dispute.registered_at.isoformat(), "deadline_at": dispute.deadline_at.isoformat(),
        "closed_at": _iso(dispute.closed_at), "overdue": overdue(dispute, now),
        "mediator": dispute.mediator.name if dispute.mediator else None,
        "channel": dispute.channel, "court_case_no": dispute.court_case_no,
        "agreement": dispute.agreement, "performance": dispute.performance,
        "parties": parties,
        "sessions": [{"id": s.id, "held_on": s.held_on.isoformat(), "participants": s.participants,
                      "minutes": s.minutes, "mediator": s.mediator.name if s.mediator else None}
                     for s in sessions(dispute)],
        "visits": [{"id": v.id, "visited_at": v.visited_at.isoformat(), "satisfaction": v.satisfaction,
                    "note": v.note} for v in visits(dispute)],
        "incidents": linked_incidents(dispute),
        "pending_approval": None if pending is None else {
            "id": pending.id, "action": pending.action, "requested_by": pending.requester.username,
            "label": str(ACTION_LABELS.get(pending.action, pending.action)),
            "requested_by_name": pending.requester.display_name,
            "detail": DISPUTE.detail(dispute, DISPUTE.pending(dispute)),
            "requested_at": pending.requested_at.isoformat(), "note": pending.note, "data": pending.data},
        "allowed_actions": sorted({t.action for t in allowed_actions(user, dispute)}),
        "history": [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor.username, "action": e.action,
                     "actor_name": e.actor.display_name, "action_label": str(ACTION_LABELS.get(e.action, e.action)),
                     "from_state": e.from_state, "to_state": e.to_state, "note": e.note, "data": e.data or {}}
                    for e in history(dispute)],
    }
    return out


def dispute_feature(dispute: Dispute, now: datetime | None = None) -> dict:
    """GeoJSON Feature of a dispute (Point lon/lat) for the map layer (by state and risk); no
    party data."""
    return {"type": "Feature", "id": dispute.id, "geometry": geojson_geometry(to_shape(dispute.geom)),
            "properties": {"id": dispute.id, "type_code": dispute.type_code, "type_name": dispute.type.name,
                           "status": dispute.status, "state_name": str(STATE_NAMES[dispute.status]),
                           "risk_level": dispute.risk_level, "risk_name": str(RISK_NAMES[dispute.risk_level]),
                           "escalation_risk": dispute.escalation_risk, "difficulty": dispute.difficulty,
                           "community_code": dispute.community_code, "grid_code": dispute.grid_code,
                           "registered_at": dispute.registered_at.isoformat(), "overdue": overdue(dispute, now)}}
