"""The KPI definitions of :mod:`gridapp.analytics.kpi` computed from the raw cases and their
history, independently of the facts the database keeps (the product's way, in
:mod:`gridapp.analytics.facts`): the reference of the equivalence test. (Until issue 23 the product
computed its KPIs this way; at city scale a year took as long as hand-written SQL.)"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, exists, func, literal, select, tuple_

from gridapp.analytics.kpi import cohort_conditions, figures_of, group_key
from gridapp.core.clock import utcnow
from gridapp.extensions import db
from gridapp.incidents.rules import DEADLINE_STATES
from gridapp.models import Incident, IncidentApproval, IncidentEvent, User


def _cases(conds, extra=(), joins=()):
    """The cohort as a subquery, one row per case: the columns the KPIs aggregate, the three
    facts of its history (handled_ever, reworked, extended) looked up once per case, and
    ``extra`` columns (group keys) over ``joins`` ((target, onclause), all outer). ``OFFSET 0``
    keeps PostgreSQL from pulling the subquery up into the aggregate, which would repeat the
    history look-ups for each aggregate (and each grouping set) that mentions them."""
    I = Incident  # noqa: E741,N806 - short alias in the query
    handled_ever = exists().where(IncidentEvent.incident_id == I.id, IncidentEvent.action == "handle")
    reworked = exists().where(IncidentEvent.incident_id == I.id, IncidentEvent.action == "verify",
                              IncidentEvent.to_state == "dispatched")
    extended = exists().where(IncidentApproval.incident_id == I.id, IncidentApproval.action == "extend",
                              IncidentApproval.decision == "approved")
    q = select(I.status, I.reported_at, I.filed_at, I.deadline_at, I.handled_at, I.closed_at,
               handled_ever.label("handled_ever"), reworked.label("reworked"), extended.label("extended"),
               *extra).select_from(I)
    for target, onclause in joins:
        q = q.outerjoin(target, onclause)
    return q.where(*conds).offset(0).subquery("cohort")


def _columns(c, now: datetime) -> list:
    """The KPI aggregates over the rows ``c`` of :func:`_cases`."""
    hours = func.extract("epoch", c.closed_at - c.reported_at) / 3600.0
    overdue_now = and_(c.status.in_(DEADLINE_STATES), c.deadline_at < now)
    return [
        func.count().label("reported"),
        func.count().filter(c.filed_at.is_not(None)).label("filed"),
        func.count().filter(and_(c.filed_at.is_not(None), (c.handled_at.is_not(None)) | overdue_now)).label("due"),
        func.count().filter(c.handled_at <= c.deadline_at).label("handled_on_time"),
        func.count().filter(c.closed_at.is_not(None)).label("closed"),
        func.count().filter(c.closed_at <= c.deadline_at).label("closed_on_time"),
        func.count().filter(c.handled_ever).label("handled_ever"),
        func.count().filter(and_(c.handled_ever, c.reworked)).label("reworked"),
        func.count().filter(and_(c.filed_at.is_not(None), c.extended)).label("extended"),
        func.count().filter(and_(c.filed_at.is_not(None), overdue_now)).label("overdue_now"),
        func.avg(case((c.closed_at.is_not(None), hours))).label("mean_hours"),
        func.percentile_cont(0.5).within_group(hours).filter(c.closed_at.is_not(None)).label("median_hours"),
    ]


def compute_by(user: User, level, code, date_from=None, date_to=None, by=(),
               now: datetime | None = None) -> tuple[dict, dict[str, list[dict]]]:
    """The KPIs of the cohort and its groups for each unit of ``by`` from the raw cases in one
    statement (every case read, its history looked up once, aggregated over GROUPING SETS),
    medians per group included: (figures, {unit: groups}) as
    :func:`gridapp.analytics.facts.compute_by`."""
    now = now or utcnow()
    units = list(dict.fromkeys(by))
    extra, joins = [], []
    for i, unit in enumerate(units):
        key, name, unit_joins = group_key(Incident, unit, Incident.reported_at)
        extra += [key.label(f"key{i}"), (name if name is not None else literal(None)).label(f"name{i}")]
        joins += [(target, onclause) for target, onclause, _outer in unit_joins]
    c = _cases(cohort_conditions(user, level, code, date_from, date_to), extra, joins).c
    keys = [c[f"key{i}"] for i in range(len(units))]
    q = select(*(func.grouping(k).label(f"set{i}") for i, k in enumerate(keys)), *keys,
               *(c[f"name{i}"] for i in range(len(units))), *_columns(c, now))
    if units:  # the total (empty set) and one set per unit; rows of a set in the order of its key
        q = q.group_by(func.grouping_sets(tuple_(), *(tuple_(k, c[f"name{i}"]) for i, k in enumerate(keys))))
        q = q.order_by(*keys)
    total, groups_by = None, {unit: [] for unit in units}
    for row in db.session.execute(q):
        m = row._mapping
        unit = next((i for i in range(len(units)) if m[f"set{i}"] == 0), None)
        if unit is None:
            total = figures_of(m)
        else:
            groups_by[units[unit]].append({"code": m[f"key{unit}"], "name": m[f"name{unit}"], **figures_of(m)})
    return total, groups_by
