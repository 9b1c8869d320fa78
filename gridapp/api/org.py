"""API v1: coverage and the party organisation roster (groups, members, workers).

Scope checks live in :mod:`gridapp.org.access` (403 outside the caller's community/township/
district; grid workers get 403). Phones and ID numbers are masked; ``?reveal=phone,id_number``
shows full values to the roles of :data:`gridapp.accounts.pii.FULL_VIEW_ROLES` and logs each view.
"""
from __future__ import annotations

from flask import jsonify, request

from ..auth import api_user
from ..coverage import service as coverage
from ..org import groups as org_groups
from ..org import members as org_members
from ..org import queries as org_queries
from ..org import units as org_units
from . import bp, json_body
from .contract import GEOJSON, operation
from .schemas import org as og
from .schemas.common import FeatureCollection


def _reveal() -> tuple[str, ...]:
    return tuple(f for f in (request.args.get("reveal") or "").split(",") if f)


def _done(payload, status=200):
    return jsonify(payload), status


@bp.get("/coverage")
@operation("coverage", og.Coverage, query=og.CoverageQuery)
def get_coverage():
    """``?level=district|township|community|grid&code=...`` (both default to the caller's own area:
    a township user's township, a secretary's community, an administrator's first district)
    → {level, code, name, figures, children}; definitions in :mod:`gridapp.coverage.service`.
    400 unknown level; 403 outside scope or a grid worker; 404 unknown code."""
    user = api_user()
    return jsonify(coverage.coverage(user, request.args.get("level") or None, request.args.get("code") or None))


@bp.get("/coverage/grids")
@operation("coverage", FeatureCollection, query=og.ScopeQuery, media=GEOJSON)
def get_coverage_grids():
    """GeoJSON FeatureCollection of the caller's grids with coverage properties (workers,
    group_id, build_type, members, status = no_worker | worker_no_group | covered)."""
    user = api_user()
    return jsonify(coverage.grids_layer(user, request.args.get("community_code") or None))


@bp.get("/party-groups")
@operation("org", list[og.Group], query=og.ScopeQuery)
def list_groups():
    """Live grid party groups the caller may read (``?community_code=``)."""
    user = api_user()
    groups = org_groups.list_groups(user, request.args.get("community_code") or None)
    return jsonify([org_groups.group_dict(g) for g in groups])


@bp.post("/party-groups")
@operation("org", og.Group, status=201, body=og.GroupBody, errors=(409,))
def create_group():
    """Set up a group: JSON {community_code, name, build_type single|joint, grid_codes, partners,
    established_on} → 201 group; 400 bad field; 403 outside scope; 409 grid already has a group."""
    user = api_user()
    return _done(org_groups.group_dict(org_groups.create_group(user, json_body())), 201)


@bp.get("/party-groups/<int:group_id>")
@operation("org", og.Group)
def get_group(group_id: int):
    """One group; 403 outside scope; 404 unknown."""
    return jsonify(org_groups.group_dict(org_groups.get_group(api_user(), group_id)))


@bp.patch("/party-groups/<int:group_id>")
@operation("org", og.Group, body=og.GroupPatch, errors=(409,))
def update_group(group_id: int):
    """Change {name, grid_codes} of a live group."""
    user = api_user()
    return jsonify(org_groups.group_dict(org_groups.update_group(user, group_id, json_body())))


@bp.delete("/party-groups/<int:group_id>")
@operation("org", og.Group, errors=(409,))
def dissolve_group(group_id: int):
    """Dissolve a group (kept with dissolved_at; grids and members released) → 200 group."""
    return jsonify(org_groups.group_dict(org_groups.dissolve_group(api_user(), group_id)))


@bp.get("/party-members")
@operation("org", list[og.Person], query=og.ScopeQuery)
def list_members():
    """Members the caller may read (``?community_code=&grid_code=&reveal=``), phones/IDs masked."""
    user = api_user()
    return jsonify(org_members.members_view(user, request.args.get("community_code") or None,
                                    request.args.get("grid_code") or None, _reveal()))


@bp.post("/party-members")
@operation("org", og.Person, status=201, body=og.MemberBody, errors=(409,))
def add_member():
    """Add a member: JSON {community_code, name, kind, role, phone, id_number, home_unit,
    reported_on, group_id, grid_code} → 201 member (masked)."""
    user = api_user()
    return _done(org_members.member_dict(user, org_members.add_member(user, json_body())), 201)


@bp.patch("/party-members/<int:member_id>")
@operation("org", og.Person, body=og.MemberMove, errors=(409,))
def move_member(member_id: int):
    """Move a member: JSON {group_id, grid_code, role} → 200 member."""
    user = api_user()
    return jsonify(org_members.member_dict(user, org_members.move_member(user, member_id, json_body())))


@bp.delete("/party-members/<int:member_id>")
@operation("org", None, status=204)
def remove_member(member_id: int):
    """Remove a member → 204."""
    org_members.remove_member(api_user(), member_id)
    return "", 204


@bp.get("/grid-workers")
@operation("org", list[og.Worker], query=og.ScopeQuery)
def list_workers():
    """Grid workers the caller may read (``?community_code=&grid_code=&reveal=``)."""
    user = api_user()
    return jsonify(org_members.workers_view(user, request.args.get("community_code") or None,
                                    request.args.get("grid_code") or None, _reveal()))


@bp.post("/grid-workers")
@operation("org", og.Worker, status=201, body=og.WorkerBody, errors=(409,))
def add_worker():
    """Add a worker: JSON {community_code, name, kind full_time|part_time, phone, id_number,
    grid_codes, primary_grid, username} → 201 worker."""
    user = api_user()
    return _done(org_members.worker_dict(user, org_members.add_worker(user, json_body())), 201)


@bp.put("/grid-workers/<int:worker_id>/grids")
@operation("org", og.Worker, body=og.WorkerGrids, errors=(409,))
def assign_worker(worker_id: int):
    """Replace a worker's grids: JSON {grid_codes, primary_grid} → 200 worker."""
    user = api_user()
    return jsonify(org_members.worker_dict(user, org_members.assign_worker(user, worker_id, json_body())))


@bp.delete("/grid-workers/<int:worker_id>")
@operation("org", None, status=204)
def remove_worker(worker_id: int):
    """Remove a worker → 204."""
    org_members.remove_worker(api_user(), worker_id)
    return "", 204


@bp.post("/ratings")
@operation("org", og.Rating, status=201, body=og.RatingBody)
def add_rating():
    """Record a star rating: JSON {group_id | community_code, stars 1–5, rated_on, note} → 201."""
    rating = org_units.rate(api_user(), json_body())
    return _done({"id": rating.id, "stars": rating.stars, "rated_on": rating.rated_on.isoformat(),
                  "group_id": rating.group_id, "community_code": rating.community_code}, 201)


@bp.post("/stationed-units")
@operation("org", og.StationedUnit, status=201, body=og.UnitBody)
def add_stationed_unit():
    """Add a stationed unit (驻区单位): JSON {community_code, name, unit_type, seat_person,
    seat_title, seat_start_on} → 201 {id, community_code, name, seats}."""
    unit = org_units.add_stationed_unit(api_user(), json_body())
    return _done({"id": unit.id, "community_code": unit.community_code, "name": unit.name,
                  "seats": [s.person_name for s in unit.seats]}, 201)


@bp.get("/audit")
@operation("org", list[og.AuditRow], query=og.AuditQuery)
def list_audit():
    """The latest 50 audit rows of a community: ``?community_code=`` (required, in scope) →
    [{id, at, user, action, entity, entity_id, community_code, detail}], newest first."""
    user = api_user()
    trail = org_queries.audit_trail(user, request.args.get("community_code"))
    return jsonify([org_queries.audit_dict(e) for e in trail])
