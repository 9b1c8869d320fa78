"""Reads of the party organisation for its pages: a community's three levels, a grid, the audit trail."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..core.errors import NotFound
from ..extensions import db
from ..models import AuditEntry, CommunityPartyOrg, Grid, GroupGrid, StarRating, StationedUnit, User
from .access import require_community
from .groups import list_groups
from .members import list_members, list_workers
from .units import latest_stars


def audit_trail(user: User, community_code: str, limit: int = 50) -> list[AuditEntry]:
    """The latest audit rows of a community the user may read."""
    require_community(user, community_code)
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.community_code == community_code)
                                   .order_by(AuditEntry.id.desc()).limit(limit)))


def community_tree(user: User, community_code: str) -> dict:
    """The three levels of a community for its page: {area, org, org_stars, groups: [{group,
    stars, members}], unplaced (members without a group), workers, units (with seats), grids
    (codes and names)}. 403 outside scope, 404 unknown community."""
    area = require_community(user, community_code)
    org = db.session.scalar(select(CommunityPartyOrg).where(CommunityPartyOrg.community_code == area.code))
    groups = list_groups(user, area.code)
    stars = latest_stars([g.id for g in groups])
    members = list_members(user, area.code)
    org_stars = db.session.scalar(select(StarRating.stars).where(StarRating.community_org_id == org.id)
                                  .order_by(StarRating.rated_on.desc(), StarRating.id.desc()).limit(1)) if org else None
    return {"area": area, "org": org, "org_stars": org_stars,
            "groups": [{"group": g, "stars": stars.get(g.id), "members": [m for m in members if m.group_id == g.id]}
                       for g in groups],
            "unplaced": [m for m in members if m.group_id is None],
            "workers": list_workers(user, area.code),
            "units": list(db.session.scalars(select(StationedUnit).where(StationedUnit.community_code == area.code)
                                             .order_by(StationedUnit.id))),
            "grids": db.session.execute(select(Grid.code, Grid.name).where(Grid.community_code == area.code)
                                        .order_by(Grid.code)).all(),
            "audit": audit_trail(user, area.code, 20)}


def audit_dict(entry: AuditEntry) -> dict:
    """JSON shape of an audit row: id, at (UTC ISO 8601), user (username or null), action,
    entity, entity_id, community_code, detail."""
    return {"id": entry.id, "at": entry.at.isoformat(), "user": entry.user.username if entry.user else None,
            "action": entry.action, "entity": entry.entity, "entity_id": entry.entity_id,
            "community_code": entry.community_code, "detail": entry.detail}


def grid_page(user: User, grid_code: str) -> dict:
    """A grid for its page: {grid, group (live or None), stars, members, workers, groups (the
    community's live groups, for moving members)}. 403 outside scope, 404 unknown grid."""
    grid = db.session.get(Grid, grid_code)
    if grid is None:
        raise NotFound(_("没有编码为 %(code)s 的网格", code=grid_code), code="unknown_grid")
    require_community(user, grid.community_code)
    link = db.session.get(GroupGrid, grid.code)
    group = link.group if link else None
    return {"grid": grid, "group": group, "stars": latest_stars([group.id]).get(group.id) if group else None,
            "members": list_members(user, grid.community_code, grid.code),
            "workers": list_workers(user, grid.community_code, grid.code),
            "groups": list_groups(user, grid.community_code),
            "grids": db.session.execute(select(Grid.code, Grid.name).where(Grid.community_code == grid.community_code)
                                        .order_by(Grid.code)).all()}
