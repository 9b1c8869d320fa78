"""Reads of incidents: the filtered list, the worker's and secretary's tasks, departments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select

from ..core import params as p
from ..core.casework import Transition
from ..core.clock import utcnow
from ..extensions import db
from ..models import Department, DepartmentMember, Incident, User
from .rules import DEADLINE_STATES, OPEN_STATES, SIDE_ACTIONS, STATE_NAMES
from .visibility import assigned_filter, visible_filter
from .workflow import allowed_actions


def departments(district_code: str | None = None) -> list[Department]:
    """Departments (of one district, or all), by code."""
    q = select(Department).order_by(Department.code)
    if district_code:
        q = q.where(Department.district_code == district_code)
    return list(db.session.scalars(q))


def handlers(district_code: str) -> list[tuple[Department, User]]:
    """The active members of the departments of a district (the handlers a case there may be
    dispatched to), by department and name."""
    return [tuple(row) for row in db.session.execute(
        select(Department, User).join(DepartmentMember, DepartmentMember.department_code == Department.code)
        .join(User, User.id == DepartmentMember.user_id)
        .where(Department.district_code == district_code, User.active.is_(True))
        .order_by(Department.code, User.display_name, User.id)).all()]


def search(user: User, args: dict, now: datetime | None = None) -> tuple[list[Incident], int, int, int]:
    """The cases the user may see, filtered, newest first, one page.

    ``args`` (strings, all optional): state (comma-separated), category, grid, community,
    overdue (true/false), from / to (local dates, inclusive, on reported_at), mine (true: only
    cases assigned to the user), reported_by_me (true: only cases the user reported, 我的上报),
    bbox (min_lon,min_lat,max_lon,max_lat, SRID 4326), page (from 1), per_page (1–500, default 500).
    Returns (cases, total matched, page, per_page).
    Raises BadInput for a malformed filter.
    """
    return p.page_of(Incident, search_conditions(user, args, now), (Incident.reported_at.desc(), Incident.id.desc()),
                   args)


def search_conditions(user: User, args: dict, now: datetime | None = None) -> list:
    """SQL conditions on :class:`Incident` for the list filters of :func:`search` (scope first),
    plus ``bbox`` = "min_lon,min_lat,max_lon,max_lat" (SRID 4326 degrees; points on the edge
    count). Raises BadInput for a malformed filter."""
    now = now or utcnow()
    conds = [visible_filter(user)]
    if args.get("bbox"):
        conds.append(Incident.geom.intersects(func.ST_MakeEnvelope(*p.bbox(args["bbox"]), 4326)))
    if args.get("state"):
        conds.append(Incident.status.in_(p.states(args["state"], "state", STATE_NAMES)))
    if args.get("category"):
        conds.append(Incident.category_code.startswith(str(args["category"])))
    if args.get("grid"):
        conds.append(Incident.grid_code == str(args["grid"]))
    if args.get("community"):
        conds.append(Incident.community_code == str(args["community"]))
    if p.flag(args, "overdue"):
        conds.append(overdue_condition(now))
    if p.flag(args, "mine"):
        conds.append(assigned_filter(user))
    if p.flag(args, "reported_by_me"):
        conds.append(Incident.reporter_id == user.id)
    return conds + p.period_conditions(Incident.reported_at, args.get("from"), args.get("to"))


def overdue_condition(now: datetime):
    """SQL condition on Incident: overdue at ``now`` (same rule as :func:`deadline_flags`)."""
    return and_(Incident.status.in_(DEADLINE_STATES), Incident.deadline_at < now)


def my_tasks(user: User, now: datetime | None = None) -> list[tuple[Incident, list[Transition]]]:
    """Cases waiting for the user, with the actions they may take: every visible open case on
    which the table allows them an action (oldest deadline first, then oldest report)."""
    cases = db.session.scalars(select(Incident).where(visible_filter(user), Incident.status.in_(OPEN_STATES))
                               .order_by(Incident.deadline_at.asc().nulls_last(), Incident.reported_at)
                               .limit(p.PER_PAGE_MAX))
    out = []
    for incident in cases:
        actions = [t for t in allowed_actions(user, incident) if t.action not in SIDE_ACTIONS + ("evaluate",)]
        if actions:
            out.append((incident, actions))
    return out
