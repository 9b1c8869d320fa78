"""Grid party groups (网格党小组) and the community organisation: set up, change, dissolve.

One function per action, one transaction each, every change audited in the same transaction
(:func:`gridapp.accounts.audit.record`). A grid has at most one live group (409 ``grid_has_group``).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..accounts.audit import record as audit
from ..core.casework import find_in_scope
from ..core.clock import utcnow
from ..core.errors import Conflict
from ..extensions import db
from ..models import CommunityPartyOrg, GridPartyGroup, GroupGrid, GroupPartner, PartyMember, StationedUnit, User
from .access import (
    choice_field,
    commit,
    date_field,
    get_in_scope,
    grid_codes_field,
    invalid,
    readable,
    require_community,
    text_field,
)
from .rules import BUILD_TYPES, PARTNER_TYPES


def ensure_community_org(user: User, community_code: str, name: str | None = None,
                         kind: str = "committee", secretary_name: str | None = None) -> CommunityPartyOrg:
    """The community's party organisation, created (and audited) if missing. Caller commits."""
    area = require_community(user, community_code)
    org = db.session.scalar(select(CommunityPartyOrg).where(CommunityPartyOrg.community_code == area.code))
    if org is None:
        org = CommunityPartyOrg(community_code=area.code, district_code=area.district_code,
                                name=name or f"{area.name}党委", kind=kind, secretary_name=secretary_name)
        db.session.add(org)
        db.session.flush()
        audit(user, "create", "community_org", org.id, area.code, name=org.name)
    return org


def _partners(data: dict, community: str) -> list[GroupPartner]:
    raw = data.get("partners") or []
    if not isinstance(raw, list):
        raise invalid("partners", _("字段 partners 应为列表"))
    partners = []
    for item in raw:
        if not isinstance(item, dict):
            raise invalid("partners", _("字段 partners 应为列表"))
        ptype = choice_field(item, "partner_type", PARTNER_TYPES)
        unit_id = item.get("stationed_unit_id")
        name = text_field(item, "name", required=unit_id is None)
        if unit_id is not None:
            unit = find_in_scope(StationedUnit, StationedUnit.community_code == community, unit_id, "not_found",
                                 lambda i: _("驻区单位 %(id)s 不属于本社区", id=i), field="stationed_unit_id")
            unit_id, name = unit.id, name or unit.name
        partners.append(GroupPartner(partner_type=ptype, name=name, stationed_unit_id=unit_id))
    return partners


def _claim_grids(group_id: int | None, codes: list[str]) -> None:
    taken = db.session.execute(select(GroupGrid.grid_code, GroupGrid.group_id).where(
        GroupGrid.grid_code.in_(codes), GroupGrid.group_id != (group_id or 0))).all()
    if taken:
        raise Conflict(_("网格 %(codes)s 已有党小组", codes=", ".join(r.grid_code for r in taken)),
                       code="grid_has_group", details={"field": "grid_codes"})


def create_group(user: User, data: dict) -> GridPartyGroup:
    """Set up a grid party group. ``data``: community_code, name, build_type (single 单建 | joint
    联建), grid_codes (≥1 grid of the community, none held by another group), partners (list of
    {partner_type, name | stationed_unit_id}; required for joint, refused for single),
    established_on (YYYY-MM-DD). One transaction, audited."""
    area = require_community(user, data.get("community_code"))
    name = text_field(data, "name")
    build_type = choice_field(data, "build_type", BUILD_TYPES)
    codes = grid_codes_field(area.code, data.get("grid_codes"))
    partners = _partners(data, area.code)
    if build_type == "joint" and not partners:
        raise invalid("partners", _("联建党小组至少要有一个共建单位"))
    if build_type == "single" and partners:
        raise invalid("partners", _("单建党小组没有共建单位"))
    _claim_grids(None, codes)
    ensure_community_org(user, area.code)
    group = GridPartyGroup(community_code=area.code, district_code=area.district_code, name=name,
                           build_type=build_type, established_on=date_field(data, "established_on"),
                           grids=[GroupGrid(grid_code=c) for c in codes], partners=partners)
    db.session.add(group)
    db.session.flush()
    audit(user, "create", "group", group.id, area.code, name=name, build_type=build_type, grids=codes,
          partners=[p.name for p in partners])
    commit()
    return group


def update_group(user: User, group_id: int, data: dict) -> GridPartyGroup:
    """Change a live group's name and/or grid_codes (same rules as :func:`create_group`)."""
    group = live_group(user, group_id)
    changes = {}
    if "name" in data:
        group.name = changes["name"] = text_field(data, "name")
    if "grid_codes" in data:
        codes = grid_codes_field(group.community_code, data.get("grid_codes"))
        _claim_grids(group.id, codes)
        group.grids = [GroupGrid(grid_code=c) for c in codes]
        changes["grids"] = codes
    audit(user, "update", "group", group.id, group.community_code, **changes)
    commit()
    return group


def live_group(user: User, group_id) -> GridPartyGroup:
    group = get_in_scope(user, GridPartyGroup, group_id, _("党小组"))
    if group.dissolved_at is not None:
        raise Conflict(_("党小组 %(id)s 已撤销", id=group.id), code="group_dissolved")
    return group


def dissolve_group(user: User, group_id: int) -> GridPartyGroup:
    """Dissolve a group: it keeps its record (``dissolved_at`` = now UTC), its grids are released
    and its members stay in their grids without a group. One transaction, audited."""
    group = live_group(user, group_id)
    grids = [g.grid_code for g in group.grids]
    members = db.session.scalars(select(PartyMember.id).where(PartyMember.group_id == group.id)).all()
    group.dissolved_at = utcnow()
    group.grids = []
    db.session.execute(update(PartyMember).where(PartyMember.group_id == group.id).values(group_id=None))
    audit(user, "dissolve", "group", group.id, group.community_code, grids=grids, members=list(members))
    commit()
    return group


def group_dict(group: GridPartyGroup) -> dict:
    """JSON shape of a group: id, community_code, name, build_type, established_on, dissolved_at,
    grid_codes, partners [{partner_type, name, stationed_unit_id}]."""
    return {"id": group.id, "community_code": group.community_code, "name": group.name,
            "build_type": group.build_type,
            "established_on": group.established_on.isoformat() if group.established_on else None,
            "dissolved_at": group.dissolved_at.isoformat() if group.dissolved_at else None,
            "grid_codes": [g.grid_code for g in group.grids],
            "partners": [{"partner_type": p.partner_type, "name": p.name, "stationed_unit_id": p.stationed_unit_id}
                         for p in group.partners]}


def list_groups(user: User, community_code: str | None = None, live_only: bool = True) -> list[GridPartyGroup]:
    """Groups the user may read (optionally of one community, which must be in scope)."""
    query = readable(user, GridPartyGroup, community_code)
    if live_only:
        query = query.where(GridPartyGroup.dissolved_at.is_(None))
    return list(db.session.scalars(query.order_by(GridPartyGroup.community_code, GridPartyGroup.id)))


def get_group(user: User, group_id: int) -> GridPartyGroup:
    """One group the user may read; 404 unknown, 403 outside scope."""
    return get_in_scope(user, GridPartyGroup, group_id, _("党小组"))
