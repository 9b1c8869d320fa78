"""Access by scope: what a user may see and where they may act.

| role      | scope_code        | sees and acts in                     |
|-----------|-------------------|--------------------------------------|
| admin     | (any / none)      | everything                           |
| district  | district (6)      | that district                        |
| township  | township (9)      | that township's communities          |
| secretary | community (12)    | that community                       |
| worker    | —                 | the grids assigned to them           |

Every list query goes through :func:`grid_filter` / :func:`incident_filter`; every write through
:func:`require_location_in_scope`.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, true

from ..errors import Forbidden
from ..extensions import db
from ..models import AdminArea, Grid, GridAssignment, Incident, User
from .locate import Location


def worker_grid_codes(user: User) -> set[str]:
    """Codes of the grids assigned to a user (empty for non-workers)."""
    return set(db.session.scalars(select(GridAssignment.grid_code)
                                  .where(GridAssignment.user_id == user.id)))


def _township_communities(code: str):
    return select(AdminArea.code).where(AdminArea.parent_code == code)


def _scope_condition(user: User, district_col, community_col, grid_col):
    """SQL condition selecting rows (with district, community and grid columns) in the user's scope."""
    role, scope = user.role, user.scope_code
    if role == "admin":
        return true()
    if role == "district":
        return district_col == scope
    if role == "township":
        return community_col.in_(_township_communities(scope))
    if role == "secretary":
        return community_col == scope
    return grid_col.in_(select(GridAssignment.grid_code).where(GridAssignment.user_id == user.id))


def grid_filter(user: User):
    """SQL condition on :class:`Grid` selecting the grids the user may see."""
    return _scope_condition(user, Grid.district_code, Grid.community_code, Grid.code)


def incident_filter(user: User):
    """SQL condition on :class:`Incident` selecting the incidents the user may see."""
    return _scope_condition(user, Incident.district_code, Incident.community_code, Incident.grid_code)


def worker_grids_expr(user: User):
    """SQL array of the codes of the grids assigned to a user (for :func:`location_in_scope`'s
    ``worker_grids``, evaluated in the caller's round trip)."""
    return func.array(select(GridAssignment.grid_code).where(GridAssignment.user_id == user.id)
                      .scalar_subquery())


def location_in_scope(user: User, loc: Location, worker_grids=None) -> bool:
    """True when the located point lies inside the user's scope. ``worker_grids``: the codes of
    the user's assigned grids when the caller already read them (else they are queried)."""
    role, scope = user.role, user.scope_code
    if role == "admin":
        return True
    if role == "district":
        return loc.district_code == scope
    if role == "township":
        return loc.township_code == scope
    if role == "secretary":
        return loc.community_code == scope
    if loc.grid_code is None:
        return False
    return loc.grid_code in (worker_grid_codes(user) if worker_grids is None else set(worker_grids))


def require_location_in_scope(user: User, loc: Location, worker_grids=None) -> None:
    """Raise Forbidden (403) unless the location lies in the user's scope (``worker_grids``: as
    for :func:`location_in_scope`)."""
    if not location_in_scope(user, loc, worker_grids):
        where = loc.grid_code or loc.community_code
        if user.role == "worker":
            raise Forbidden(_("网格员只能在自己负责的网格内上报；该点位于 %(where)s", where=where),
                            code="outside_scope")
        raise Forbidden(_("该点位于 %(where)s，不在您的管辖范围 %(scope)s 内", where=where,
                          scope=user.scope_code), code="outside_scope")


def columns_filter(user: User, district_col, community_col, grid_col):
    """SQL condition on any located table (district, community and grid columns; e.g.
    :class:`~gridapp.models.Place`) selecting the rows in the user's scope — the rule above."""
    return _scope_condition(user, district_col, community_col, grid_col)
