"""Access by scope: what a user may see and where they may act.

| role      | scope_code        | sees and acts in                     |
|-----------|-------------------|--------------------------------------|
| admin     | (any / none)      | everything                           |
| district  | district (6)      | that district                        |
| township  | township (9)      | that township's communities          |
| secretary | community (12)    | that community                       |
| worker    | —                 | the grids assigned to them           |

Every list query goes through :func:`grid_filter` / :func:`incident_filter`; every write through
:func:`require_location_in_scope` — or, where the user is read in the writing statement itself
(reporting an incident), through the same SQL rule with the user's columns (:class:`Holder`).
"""
from __future__ import annotations

from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import case, false, select, true

from ..errors import Forbidden
from ..extensions import db
from ..models import AdminArea, Grid, GridAssignment, Incident, Role, User
from .locate import Location


def worker_grid_codes(user: User) -> set[str]:
    """Codes of the grids assigned to a user (empty for non-workers)."""
    return set(db.session.scalars(select(GridAssignment.grid_code)
                                  .where(GridAssignment.user_id == user.id)))


def _township_communities(code: str):
    return select(AdminArea.code).where(AdminArea.parent_code == code)


class Holder(NamedTuple):
    """What the scope rule reads of a user: ``id``, ``role``, ``scope_code``. Values, or SQL
    columns of a user read in the same statement (then the condition is a CASE on the role)."""

    id: object
    role: object
    scope_code: object


def _scope_condition(user: User | Holder, district_col, community_col, grid_col):
    """SQL condition selecting rows (with district, community and grid columns) in the user's scope."""
    role, scope = user.role, user.scope_code
    if not isinstance(role, str):  # the role is a column: the rule of each role, chosen by it
        return case(*((role == r.value, _scope_condition(Holder(user.id, r.value, scope), district_col,
                                                          community_col, grid_col)) for r in Role), else_=false())
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


def location_in_scope(user: User, loc: Location) -> bool:
    """True when the located point lies inside the user's scope."""
    role, scope = user.role, user.scope_code
    if role == "admin":
        return True
    if role == "district":
        return loc.district_code == scope
    if role == "township":
        return loc.township_code == scope
    if role == "secretary":
        return loc.community_code == scope
    return loc.grid_code is not None and loc.grid_code in worker_grid_codes(user)


def require_location_in_scope(user: User, loc: Location) -> None:
    """Raise Forbidden (403) unless the location lies in the user's scope."""
    if not location_in_scope(user, loc):
        raise outside_scope(user, loc)


def outside_scope(user: User | Holder, loc: Location) -> Forbidden:
    """The error (403) of a location outside the user's scope."""
    where = loc.grid_code or loc.community_code
    if user.role == "worker":
        return Forbidden(_("网格员只能在自己负责的网格内上报；该点位于 %(where)s", where=where),
                         code="outside_scope")
    return Forbidden(_("该点位于 %(where)s，不在您的管辖范围 %(scope)s 内", where=where,
                       scope=user.scope_code), code="outside_scope")


def columns_filter(user: User, district_col, community_col, grid_col):
    """SQL condition on any located table (district, community and grid columns; e.g.
    :class:`~gridapp.models.Place`) selecting the rows in the user's scope — the rule above."""
    return _scope_condition(user, district_col, community_col, grid_col)
