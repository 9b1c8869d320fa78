"""API v1 for disputes (矛盾纠纷): register, list, one dispute, actions, figures, types, mediators."""
from __future__ import annotations

from flask import jsonify, request

from ..auth import api_user
from ..disputes import actions as dispute_actions
from ..disputes import present as dispute_present
from ..disputes import queries as dispute_queries
from ..disputes import register as dispute_register
from ..disputes import workflow as dispute_workflow
from . import bp, json_body
from .contract import GEOJSON, operation
from .idempotency import idempotent
from .schemas import disputes as ds
from .schemas.common import FeaturePage


@bp.post("/disputes")
@operation("disputes", ds.Dispute, status=201, body=ds.DisputeRegistration, errors=(422,))
@idempotent
def create_dispute():
    """Register a dispute: JSON {type_code, summary, lon, lat (WGS84), source, parties [{kind,
    name, id_number?, phone?}], amount? (yuan), risk_level, escalation_risk, difficulty,
    leader (疑难), incidents? [ids]} → 201 the dispute as in GET (parties masked); 400 bad
    field (code names it); 403 point outside the caller's scope; 422 outside every district."""
    user = api_user()
    dispute = dispute_register.register(user, json_body())
    return jsonify(dispute_present.dispute_dict(user, dispute)), 201


@bp.get("/disputes")
@operation("disputes", FeaturePage, query=ds.DisputeQuery, media=GEOJSON)
def list_disputes():
    """GeoJSON FeatureCollection of the disputes in the caller's scope (no party data), newest
    first. Filters: state, type, difficulty, risk_level, escalation_risk=true, community,
    overdue=true, from/to (local dates on registered_at), page, per_page (≤ 500). Members
    numberMatched / numberReturned, page, per_page."""
    user = api_user()
    items, total, page, per_page = dispute_queries.search(user, request.args)
    return jsonify({"type": "FeatureCollection", "features": [dispute_present.dispute_feature(d) for d in items],
                    "numberMatched": total, "numberReturned": len(items), "page": page, "per_page": per_page})


@bp.get("/disputes/stats")
@operation("disputes", ds.DisputeStats, query=ds.StatsQuery)
def dispute_stats():
    """Figures of disputes: ``?level=grid|community|township|district&code=...&from=YYYY-MM-DD
    &to=YYYY-MM-DD`` → {counts {registered, closed_out, resolved, resolved_within_30_days,
    failed, open, overdue}, referred {court, police, petition}, resolution_rate (化解率 =
    resolved / closed_out), satisfaction {visits, mean}, by_type, by_community}. Definitions:
    :func:`gridapp.disputes.queries.stats` and the README. 400 malformed; 403 outside scope;
    404 unknown area."""
    user = api_user()
    args = request.args
    return jsonify(dispute_queries.stats(user, args.get("level"), args.get("code"), args.get("from"), args.get("to")))


@bp.get("/disputes/<int:dispute_id>")
@operation("disputes", ds.Dispute, query=ds.RevealQuery)
def get_dispute(dispute_id: int):
    """One dispute with parties masked; ``?reveal=true`` shows them in full to the roles allowed
    by the PIPL rule (admin, secretary of the community) and logs each value shown (pii_views);
    403 ``pii_forbidden`` for other roles; 404 absent or outside the caller's scope."""
    user = api_user()
    dispute = dispute_workflow.get_dispute(user, dispute_id)
    reveal = request.args.get("reveal", "").lower() in ("true", "1")
    parties = dispute_actions.reveal_parties(user, dispute.id, "api") if reveal else None
    return jsonify(dispute_present.dispute_dict(user, dispute, parties=parties))


@bp.post("/disputes/<int:dispute_id>/actions/<action>")
@operation("disputes", ds.Dispute, body=ds.DisputeActionBody, body_required=False, errors=(409,))
def dispute_action(dispute_id: int, action: str):
    """Take an action on a dispute (the README's table): JSON body with ``version`` (optional;
    stale → 409), ``note`` and the action's parameters. 200 → the dispute as in GET; 400 bad
    parameters; 403 not allowed for the caller; 404 unknown dispute/action; 409 state, version
    or pending-approval conflict."""
    user = api_user()
    body = json_body() if request.get_data() else {}
    dispute = dispute_workflow.perform(user, dispute_id, action, body, version=body.get("version"))
    return jsonify(dispute_present.dispute_dict(user, dispute))


@bp.get("/dispute-types")
@operation("disputes", list[ds.DisputeType])
def list_dispute_types():
    """The dispute types offered for registration: [{code, name}] in order."""
    api_user()
    return jsonify([{"code": t.code, "name": t.name} for t in dispute_queries.active_types()])


@bp.post("/dispute-types")
@operation("disputes", ds.DisputeTypeSaved, body=ds.DisputeTypeBody)
def save_dispute_type():
    """Create or edit a dispute type: JSON {code, name, active?, position?} (admin, district) →
    200 {code, name, active}; 400 bad field; 403 other roles."""
    row = dispute_actions.save_type(api_user(), json_body())
    return jsonify(code=row.code, name=row.name, active=row.active)


@bp.get("/mediators")
@operation("disputes", list[ds.MediatorListed])
def list_mediators():
    """The mediators (人民调解员) of the caller's district: [{id, name, committee_id, committee}]."""
    return jsonify([{"id": m.id, "name": m.name, "committee_id": m.committee_id, "committee": m.committee.name}
                    for m in dispute_queries.mediators(api_user())])


@bp.post("/mediators")
@operation("disputes", ds.Mediator, status=201, body=ds.MediatorBody)
def create_mediator():
    """Add a mediator: JSON {name, committee_id} or {name, committee_name, area_code} (new
    committee) → 201 {id, name, committee_id}; 400 bad field; 403 committee outside scope."""
    m = dispute_actions.add_mediator(api_user(), json_body())
    return jsonify(id=m.id, name=m.name, committee_id=m.committee_id), 201
