"""Who is told: the users an audience of a case names (active users only; the scope rule is
:mod:`gridapp.core.scope`, read with each user's own columns)."""
from __future__ import annotations

from sqlalchemy import literal, null, select

from ..core.roles import OFFICE, RANK
from ..core.scope import Holder, scope_condition
from ..extensions import db
from ..models import DepartmentMember, GridAssignment, Incident, Place, User


def secretaries(community_code: str) -> set[int]:
    """Ids of the active secretaries of a community."""
    return set(db.session.scalars(select(User.id).where(User.active.is_(True), User.role == "secretary",
                                                        User.scope_code == community_code)))


def in_scope_with_roles(community_code: str, district_code: str, roles) -> set[int]:
    """Ids of the active users holding one of ``roles`` whose scope covers the community."""
    holder = Holder(User.id, User.role, User.scope_code)  # the one scope rule, read with each user's columns
    in_scope = scope_condition(holder, literal(district_code), literal(community_code), null())
    return set(db.session.scalars(select(User.id).where(User.active.is_(True), User.role.in_(list(roles)),
                                                        in_scope)))


def office_above(community_code: str, district_code: str, rank: int) -> set[int]:
    """Ids of the active office users (secretary, township, district) whose scope covers the
    community and whose rank (:data:`gridapp.core.roles.RANK`) is above ``rank``."""
    return in_scope_with_roles(community_code, district_code,
                               [role for role in OFFICE if role != "admin" and RANK[role] > rank])


def approvers(row, pending) -> set[int]:
    """Who is asked to decide the request ``pending`` on a case located by ``row`` (community and
    district columns): office users in scope ranked above the requester, not the requester."""
    if pending is None:
        return set()
    return office_above(row.community_code, row.district_code, pending.requested_rank) - {pending.requested_by}


def requester(pending) -> set[int]:
    """The user who made the request ``pending`` (empty without one)."""
    return {pending.requested_by} if pending is not None else set()


def incident_handlers(incident: Incident) -> set[int]:
    """The handler of a dispatched incident and the members of its department."""
    ids = {incident.handler_id} if incident.handler_id else set()
    if incident.department_code:
        ids |= set(db.session.scalars(select(DepartmentMember.user_id)
                                      .where(DepartmentMember.department_code == incident.department_code)))
    return ids


def responsible_users(place: Place) -> set[int]:
    """Users answerable for a place's notices: the grid workers of its grid and the secretary
    of its community (active users)."""
    ids = secretaries(place.community_code)
    if place.grid_code:
        ids |= set(db.session.scalars(select(GridAssignment.user_id).join(User, User.id == GridAssignment.user_id)
                                      .where(GridAssignment.grid_code == place.grid_code, User.active.is_(True),
                                             User.role == "worker")))
    return ids
