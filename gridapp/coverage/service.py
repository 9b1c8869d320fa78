"""Coverage of grids by workers and party groups, computed by queries (no stored counters).

Definitions (issue 4; figures of the district report in shared/seeds):

* ``grids``: grids in the area; ``communities``: community-level units of the area with ≥ 1 grid;
* ``grids_with_worker``: grids with ≥ 1 assigned grid worker (worker_grids);
* ``grids_with_group``: grids covered by a live (not dissolved) grid party group;
* ``grids_covered``: grids with both; ``grids_without_worker`` = grids − grids_with_worker;
* ``groups`` / ``groups_single`` (单建) / ``groups_joint`` (联建): live groups of the area;
* ``members``: party members of the area; ``members_in_grids``: those placed in a grid;
  ``members_per_grid`` = members_in_grids / grids (2 decimals; null without grids);
* ``workers``: grid workers on the rosters of the area's communities;
* ``stationed_units``; ``committee_seats`` (兼职委员, current: no end date or ending today or
  later); ``units_with_seat``: stationed units holding ≥ 1 current seat.

A grid's ``status`` (map layer): ``no_worker`` | ``worker_no_group`` | ``covered``
(the rule, labels and colours: :mod:`gridapp.coverage.rules`).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, distinct, func, or_, select

from ..boundaries.areas import feature_collection, geojson_column, own_area_code
from ..boundaries.rules import EXPORT_LEVELS
from ..core.clock import local_date, utcnow
from ..core.errors import Forbidden, NotFound
from ..core.params import area_level, choice
from ..core.roles import FIELD_ROLES, ROLE_NAMES, SCOPE_LEVEL
from ..core.scope import grid_filter
from ..extensions import db
from ..models import (
    AdminArea,
    CommitteeSeat,
    Grid,
    GridPartyGroup,
    GridWorker,
    GroupGrid,
    PartyMember,
    StationedUnit,
    User,
    WorkerGrid,
)
from ..org.access import require_area
from .rules import grid_status

FIGURES = ("communities", "grids", "grids_with_worker", "grids_without_worker", "grids_with_group",
           "grids_covered", "groups", "groups_single", "groups_joint", "members", "members_in_grids",
           "workers", "stationed_units", "committee_seats", "units_with_seat")


def grid_rows(where):
    """Per-grid figures: code, name, community_code, workers, group_id, build_type, members.

    The worker and member counts are grouped once over the selected grids and joined (not
    counted by a lookup per grid): on a 6,000-grid map tile of the city (bench/map.py) the
    tile query runs in half the time."""
    selected = select(Grid.code).where(where)
    workers = (select(WorkerGrid.grid_code, func.count().label("n")).where(WorkerGrid.grid_code.in_(selected))
               .group_by(WorkerGrid.grid_code).subquery("grid_workers_n"))
    members = (select(PartyMember.grid_code, func.count().label("n")).where(PartyMember.grid_code.in_(selected))
               .group_by(PartyMember.grid_code).subquery("grid_members_n"))
    return (select(Grid.code, Grid.name, Grid.community_code, func.coalesce(workers.c.n, 0).label("workers"),
                   GroupGrid.group_id, GridPartyGroup.build_type, func.coalesce(members.c.n, 0).label("members"))
            .outerjoin(GroupGrid, GroupGrid.grid_code == Grid.code)
            .outerjoin(GridPartyGroup, and_(GridPartyGroup.id == GroupGrid.group_id,
                                            GridPartyGroup.dissolved_at.is_(None)))
            .outerjoin(workers, workers.c.grid_code == Grid.code)
            .outerjoin(members, members.c.grid_code == Grid.code)
            .where(where))


def _by_community(communities) -> dict[str, dict]:
    """Figures per community code for the communities selected by ``communities`` (a select of codes)."""
    out: dict[str, dict] = {}

    def put(rows, *names):
        for r in rows:
            fig = out.setdefault(r[0], dict.fromkeys(FIGURES, 0))
            for name, value in zip(names, r[1:], strict=True):
                fig[name] = int(value or 0)

    grids = grid_rows(Grid.community_code.in_(communities)).subquery()
    put(db.session.execute(select(
        grids.c.community_code, func.count(), func.count().filter(grids.c.workers > 0),
        func.count().filter(grids.c.build_type.isnot(None)),
        func.count().filter(and_(grids.c.workers > 0, grids.c.build_type.isnot(None))),
        func.coalesce(func.sum(grids.c.members), 0)).group_by(grids.c.community_code)),
        "grids", "grids_with_worker", "grids_with_group", "grids_covered", "members_in_grids")
    live = GridPartyGroup.dissolved_at.is_(None)
    put(db.session.execute(select(
        GridPartyGroup.community_code, func.count(), func.count().filter(GridPartyGroup.build_type == "single"),
        func.count().filter(GridPartyGroup.build_type == "joint"))
        .where(live, GridPartyGroup.community_code.in_(communities)).group_by(GridPartyGroup.community_code)),
        "groups", "groups_single", "groups_joint")
    put(db.session.execute(select(PartyMember.community_code, func.count())
                           .where(PartyMember.community_code.in_(communities)).group_by(PartyMember.community_code)),
        "members")
    put(db.session.execute(select(GridWorker.community_code, func.count())
                           .where(GridWorker.community_code.in_(communities)).group_by(GridWorker.community_code)),
        "workers")
    put(db.session.execute(select(StationedUnit.community_code, func.count())
                           .where(StationedUnit.community_code.in_(communities))
                           .group_by(StationedUnit.community_code)), "stationed_units")
    today = local_date(utcnow())  # a seat ending today (local day) is still current
    current = or_(CommitteeSeat.end_on.is_(None), CommitteeSeat.end_on >= today)
    put(db.session.execute(select(CommitteeSeat.community_code, func.count(),
                                  func.count(distinct(CommitteeSeat.unit_id)))
                           .where(current, CommitteeSeat.community_code.in_(communities))
                           .group_by(CommitteeSeat.community_code)), "committee_seats", "units_with_seat")
    for fig in out.values():
        fig["communities"] = 1 if fig["grids"] else 0
        _derive(fig)
    return out


def _derive(fig: dict) -> dict:
    fig["grids_without_worker"] = fig["grids"] - fig["grids_with_worker"]
    fig["members_per_grid"] = round(fig["members_in_grids"] / fig["grids"], 2) if fig["grids"] else None
    return fig


def _sum(figs) -> dict:
    total = dict.fromkeys(FIGURES, 0)
    for fig in figs:
        for name in FIGURES:
            total[name] += fig[name]
    return _derive(total)


def coverage(user: User, level: str | None, code: str | None) -> dict:
    """Coverage of one area: ``level`` district | township | community | grid (default: the level
    of the user's scope, :data:`gridapp.core.roles.SCOPE_LEVEL`), ``code`` its code (default: the
    user's own area, :func:`gridapp.boundaries.areas.own_area_code`). Returns {level, code, name,
    figures (see module doc), children: [{code, name, figures}] (townships of a district,
    communities of a township, grids of a community: {code, name, workers, group_id, build_type,
    members, status})}.

    Raises BadInput (400) for an unknown level, NotFound (404) for an unknown code, Forbidden
    (403) outside the caller's scope (grid workers: always)."""
    if level is None and user.role in FIELD_ROLES:
        raise Forbidden(_("%(role)s无权查看或管理党组织", role=ROLE_NAMES[user.role]), code="outside_scope")
    level = area_level(level or SCOPE_LEVEL.get(user.role, "district"), EXPORT_LEVELS)
    if level == "grid":
        return _grid_coverage(user, code)
    area = require_area(user, code or own_area_code(user), level)
    if level == "district":
        communities = select(AdminArea.code).where(AdminArea.district_code == area.code,
                                                   AdminArea.level == "community")
    elif level == "township":
        communities = select(AdminArea.code).where(AdminArea.parent_code == area.code)
    else:
        communities = select(AdminArea.code).where(AdminArea.code == area.code)
    per_community = _by_community(communities)
    result = {"level": level, "code": area.code, "name": area.name, "figures": _sum(per_community.values())}
    if level == "community":
        result["children"] = grid_figures(Grid.community_code == area.code)
        return result
    child_level = "township" if level == "district" else "community"
    children = db.session.execute(select(AdminArea.code, AdminArea.name)
                                  .where(AdminArea.parent_code == area.code, AdminArea.level == child_level)
                                  .order_by(AdminArea.code)).all()
    under: dict[str, list[dict]] = {}  # the figures of each child: its own (a community) or its communities'
    for c, parent in db.session.execute(select(AdminArea.code, AdminArea.parent_code)
                                        .where(AdminArea.code.in_(communities))):
        if c in per_community:
            under.setdefault(c if child_level == "community" else parent, []).append(per_community[c])
    result["children"] = [{"code": child.code, "name": child.name, "figures": _sum(under.get(child.code, []))}
                          for child in children]
    return result


def grid_figures(where) -> list[dict]:
    """Per-grid figures with status, for the grids selected by ``where`` (a condition on Grid)."""
    return [{"code": r.code, "name": r.name, "community_code": r.community_code, "workers": r.workers,
             "group_id": r.group_id if r.build_type else None, "build_type": r.build_type,
             "members": r.members, "status": grid_status(r.workers, r.group_id if r.build_type else None)}
            for r in db.session.execute(grid_rows(where).order_by(Grid.code))]


def _grid_coverage(user: User, code: str | None) -> dict:
    grid = db.session.get(Grid, code) if isinstance(code, str) else None
    if grid is None:
        raise NotFound(_("没有编码为 %(code)s 的网格", code=code), code="unknown_grid")
    visible = db.session.scalar(select(func.count()).select_from(Grid).where(Grid.code == code, grid_filter(user)))
    if not visible:
        raise Forbidden(_("%(code)s 不在您的管辖范围内", code=code), code="outside_scope")
    row = grid_figures(Grid.code == code)[0]
    return {"level": "grid", "code": grid.code, "name": grid.name, "figures": row}


def grids_layer(user: User, community_code: str | None = None) -> dict:
    """FeatureCollection of the grids the user may see with their coverage: properties code,
    name, community_code, workers, group_id, build_type, members, status (SRID 4326)."""
    where = grid_filter(user)
    if community_code:
        where = and_(where, Grid.community_code == community_code)
    figures = {f["code"]: f for f in grid_figures(where)}
    rows = db.session.execute(select(Grid.code, geojson_column(Grid.geom).label("geometry")).where(where)
                              .order_by(Grid.code))
    return feature_collection([{"type": "Feature", "id": r.code, "geometry": r.geometry, "properties": figures[r.code]}
                        for r in rows])



def figures_by(user: User, level: str, code: str | None, by: str) -> list[dict]:
    """Coverage of the area (``level``/``code`` as :func:`coverage`, checked the same way) per
    sub-area ``by`` township | community | grid, ordered by code: [{code, name, figures}] —
    figures as :func:`coverage` for townships and communities (every community-level unit of the
    area, gridded or not), the per-grid figures of :func:`grid_figures` for grids. Raises BadInput
    (level, by), NotFound, Forbidden."""
    choice(by, "by", EXPORT_LEVELS[1:], _("by 必须是 township | community | grid 之一，收到 %(value)s", value=repr(by)))
    if level == "grid":
        one = _grid_coverage(user, code)
        return [{"code": one["code"], "name": one["name"], "figures": one["figures"]}] if by == "grid" else []
    level = area_level(level, EXPORT_LEVELS)
    area = require_area(user, code or user.scope_code, level)
    within = {"district": AdminArea.district_code, "township": AdminArea.parent_code, "community": AdminArea.code}
    communities = select(AdminArea.code).where(AdminArea.level == "community", within[level] == area.code)
    if by == "grid":
        return [{"code": g["code"], "name": g["name"], "figures": g}
                for g in grid_figures(Grid.community_code.in_(communities))]
    units = db.session.execute(select(AdminArea.code, AdminArea.name, AdminArea.parent_code)
                               .where(AdminArea.code.in_(communities)).order_by(AdminArea.code)).all()
    per_community = _by_community(communities)
    empty = _derive(dict.fromkeys(FIGURES, 0))
    if by == "community":
        return [{"code": u.code, "name": u.name, "figures": per_community.get(u.code, empty)} for u in units]
    townships = db.session.execute(select(AdminArea.code, AdminArea.name).where(
        AdminArea.code.in_({u.parent_code for u in units})).order_by(AdminArea.code)).all()
    under: dict[str, list[dict]] = {}
    for u in units:
        if u.code in per_community:
            under.setdefault(u.parent_code, []).append(per_community[u.code])
    return [{"code": t.code, "name": t.name, "figures": _sum(under.get(t.code, []))} for t in townships]
