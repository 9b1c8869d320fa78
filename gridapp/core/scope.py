"""Access by scope: the ONE rule of what a user may see and where they may act.

| role      | rank | scope_code        | sees and acts in                     |
|-----------|------|-------------------|--------------------------------------|
| admin     | 5    | (any / none)      | everything                           |
| district  | 4    | district (6)      | that district                        |
| township  | 3    | township (9)      | that township's communities          |
| secretary | 2    | community (12)    | that community                       |
| worker    | 1    | —                 | the grids assigned to them           |

The rule is :data:`SCOPE_LEVEL` (the area level each role's scope is). It is applied in two forms
from that one table: :func:`scope_condition` (SQL, for lists and for finding one object) and
:func:`contains` (in memory, for a located point). Every read goes through the first, every write
at a point through the second — or, where the user is read in the writing statement itself
(reporting an incident), through the SQL form with the user's columns (:class:`Holder`).
A related object a request refers to is found with the SQL form too: outside the scope is the same
404 as absent.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import case, false, literal, null, or_, select, true

from ..extensions import db
from ..models import AdminArea, Grid, GridAssignment, Incident, Role, User
from .errors import Forbidden, NotFound
from .roles import SCOPE_LEVEL


@dataclass(frozen=True)
class Location:
    """Where a point (or a case, a place) lies. ``grid_code`` is None in an ungridded village."""

    district_code: str
    township_code: str | None
    community_code: str
    grid_code: str | None

    def as_dict(self) -> dict:
        return asdict(self)


class Holder(NamedTuple):
    """What the scope rule reads of a user: ``id``, ``role``, ``scope_code``. Values, or SQL
    columns of a user read in the same statement (then the condition is a CASE on the role)."""

    id: object
    role: object
    scope_code: object


def worker_grid_codes(user: User) -> set[str]:
    """Codes of the grids assigned to a user (empty for non-workers)."""
    return set(db.session.scalars(select(GridAssignment.grid_code).where(GridAssignment.user_id == user.id)))


def scope_condition(user: User | Holder, district_col, community_col, grid_col):
    """SQL condition selecting the rows (any table with district, community and grid columns) in
    the user's scope: :data:`SCOPE_LEVEL`, a township by its communities' parent."""
    role, scope = user.role, user.scope_code
    if not isinstance(role, str):  # the role is a column: the rule of each role, chosen by it
        return case(*((role == r.value, scope_condition(Holder(user.id, r.value, scope), district_col,
                                                         community_col, grid_col)) for r in Role), else_=false())
    level = SCOPE_LEVEL.get(role)
    if role == "admin":
        return true()
    if level == "district":
        return district_col == scope
    if level == "township":
        return community_col.in_(select(AdminArea.code).where(AdminArea.parent_code == scope))
    if level == "community":
        return community_col == scope
    if level == "grid":
        return grid_col.in_(select(GridAssignment.grid_code).where(GridAssignment.user_id == user.id))
    return false()


def community_condition(user: User, community_col):
    """SQL condition on a community-code column selecting the communities in the user's scope:
    :func:`scope_condition` applied to the village-level rows of ``admin_areas`` (a grid worker's
    scope holds no whole community)."""
    communities = select(AdminArea.code).where(AdminArea.level == "community", scope_condition(
        user, AdminArea.district_code, AdminArea.code, null()))
    return community_col.in_(communities)


def contains(user: User, loc: Location) -> bool:
    """True when ``loc`` lies in the user's scope: :data:`SCOPE_LEVEL`, in memory."""
    if user.role == "admin":
        return True
    level = SCOPE_LEVEL.get(user.role)
    if level == "grid":
        return loc.grid_code is not None and loc.grid_code in worker_grid_codes(user)
    return level is not None and getattr(loc, f"{level}_code") == user.scope_code


def location_of(row) -> Location:
    """The :class:`Location` of a located row (a case, a place: ``district_code``,
    ``community_code``, ``grid_code``); the township is the community's parent."""
    township = db.session.scalar(select(AdminArea.parent_code).where(AdminArea.code == row.community_code))
    return Location(row.district_code, township, row.community_code, row.grid_code)


def area_location(area: AdminArea) -> Location:
    """The :class:`Location` of an administrative area (a district, township or community):
    its own code at its level, its ancestors' above, None below."""
    if area.level == "community":
        return Location(area.district_code, area.parent_code, area.code, None)
    return Location(area.district_code, area.code if area.level == "township" else None, None, None)


def find_area(user: User, code, field: str, levels=("district", "township", "community")) -> AdminArea:
    """The area ``code`` (at one of ``levels``) that lies in the user's scope (:func:`contains`),
    for a request that refers to an area (a campaign's, a committee's). Raises NotFound
    ``area_not_found`` naming ``field`` otherwise: an unknown code and an area outside the scope
    answer the same (issue 18)."""
    area = db.session.get(AdminArea, code) if isinstance(code, str) and 0 < len(code) <= 15 else None
    if area is None or area.level not in levels or not contains(user, area_location(area)):
        raise NotFound(_("区域 %(code)s 不存在或不在您的管辖范围内", code=repr(code)[:40]), code="area_not_found",
                       field=field)
    return area


def overlap_condition(user: User, area_col):
    """SQL condition on an area-code column (any level): the area overlaps the user's scope — it
    lies in the scope, or the scope lies in it (codes are hierarchical: 6-digit district, 9
    township, 12 community, 15 grid, each the prefix of the next)."""
    if user.role == "admin":
        return true()
    codes = sorted(worker_grid_codes(user)) if SCOPE_LEVEL.get(user.role) == "grid" else [user.scope_code or ""]
    codes = [c for c in codes if c]
    return or_(false(), *(or_(literal(c).startswith(area_col), area_col.startswith(c)) for c in codes))


def scope_kinds(user: User, case) -> set[str]:
    """The role-in-scope actor kind (admin, district, township, secretary, worker) ``user``
    holds for ``case`` — any located row (an incident, a dispute) — as a set of at most one
    element: the scope rule (:func:`contains`)."""
    return {user.role} if contains(user, location_of(case)) else set()


def role_in_scope(user: User, row) -> str | None:
    """The user's role when the located ``row`` lies in their scope, else None."""
    return user.role if contains(user, location_of(row)) else None


def grid_filter(user: User):
    """SQL condition on :class:`Grid` selecting the grids the user may see."""
    return scope_condition(user, Grid.district_code, Grid.community_code, Grid.code)


def incident_filter(user: User, incident=Incident):
    """SQL condition on :class:`Incident` (or ``incident``, an alias of it) selecting the incidents
    in the user's scope."""
    return scope_condition(user, incident.district_code, incident.community_code, incident.grid_code)


def require_location_in_scope(user: User, loc: Location) -> None:
    """Raise Forbidden (403) unless the location lies in the user's scope."""
    if not contains(user, loc):
        raise outside_scope(user, loc)


def outside_scope(user: User | Holder, loc: Location) -> Forbidden:
    """The error (403) of a location outside the user's scope."""
    where = loc.grid_code or loc.community_code
    if user.role == "worker":
        return Forbidden(_("网格员只能在自己负责的网格内上报；该点位于 %(where)s", where=where),
                         code="outside_scope")
    return Forbidden(_("该点位于 %(where)s，不在您的管辖范围 %(scope)s 内", where=where,
                       scope=user.scope_code), code="outside_scope")
