"""KPIs of the closed loop, computed by one SQL query from the cases and their history (no
counters kept anywhere).

Cohort C: the incidents located in the area (grid / community / township / district) whose
``reported_at`` falls in the date range (local dates in Asia/Shanghai, both inclusive; open
ends when omitted), except reports merged into another case as duplicates. Counts over C:

* reported — |C|;
* filed — cases ever filed (立案): ``filed_at`` set;
* due — filed cases that were handled (``handled_at`` set) or whose deadline has passed while
  still filed/dispatched/in progress/deferred at the time of the query;
* handled_on_time — cases with ``handled_at`` ≤ ``deadline_at`` (the deadline after approved
  extensions);
* closed — cases closed (结案): ``closed_at`` set (states closed and evaluated);
* closed_on_time — closed cases with ``closed_at`` ≤ ``deadline_at``;
* handled_ever — cases with at least one 处置反馈 (handle) in their history;
* reworked — of those, cases with at least one failed verification (返工) in their history;
* extended — filed cases with at least one approved 延期 (extend).

Rates (null when the denominator is 0, else a fraction 0–1 rounded to 4 places):
立案率 filing_rate = filed / reported; 按期处置率 on_time_handling_rate = handled_on_time / due;
结案率 closing_rate = closed / filed; 按期结案率 on_time_closing_rate = closed_on_time / closed;
返工率 rework_rate = reworked / handled_ever; 延期率 extension_rate = extended / filed.
Time to close (hours, reported_at → closed_at, over closed cases): mean and median
(``percentile_cont(0.5)``), rounded to 2 places. ``overdue`` (逾期未办结): filed cases of C still
filed/dispatched/in progress/deferred past their deadline at the time of the query.
:func:`groups` gives the same figures per township, community, grid, category or local day/week/month.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, literal, select, tuple_
from sqlalchemy.orm import aliased

from ..boundaries.rules import EXPORT_LEVELS
from ..core.clock import local_zone, utcnow
from ..core.errors import BadInput, Forbidden, NotFound
from ..core.params import area_level, period_conditions
from ..core.scope import Location, contains
from ..extensions import db
from ..incidents.rules import DEADLINE_STATES
from ..models import AdminArea, Grid, Incident, IncidentApproval, IncidentCategory, IncidentEvent, User
from .rules import GROUPS


def area_condition(user: User, level, code, model=Incident):
    """SQL condition on ``model`` (Incident, or any located row with grid_code, community_code
    and district_code columns: Dispute, Place) for the area, after checking it exists and is in
    scope. Raises BadInput (level), NotFound (area), Forbidden (outside the user's scope)."""
    grid_col, community_col, district_col = model.grid_code, model.community_code, model.district_code
    level = area_level(level, EXPORT_LEVELS)
    code = str(code or "")
    if level == "grid":
        grid = db.session.get(Grid, code)
        if grid is None:
            raise NotFound(_("网格 %(code)s 不存在", code=code), code="area_not_found")
        community, township, district = grid.community_code, grid.community.parent_code, grid.district_code
        cond = grid_col == code
    else:
        area = db.session.get(AdminArea, code)
        if area is None or area.level != level:
            raise NotFound(_("区域 %(code)s 不存在", code=code), code="area_not_found")
        district = area.district_code
        township = area.parent_code if level == "community" else code if level == "township" else None
        community = code if level == "community" else None
        cond = {"community": community_col == code,
                "township": community_col.in_(select(AdminArea.code).where(AdminArea.parent_code == code)),
                "district": district_col == code}[level]
    if not contains(user, Location(district, township, community, code if level == "grid" else None)):
        raise Forbidden(_("区域 %(code)s 不在您的管辖范围内", code=code), code="outside_scope")
    return cond


def _rate(num: int, den: int) -> float | None:
    return None if not den else round(num / den, 4)




def group_key(model, by: str, time_col=None):
    """(key, name, joins) to group rows of a located ``model`` (Incident, Dispute) ``by`` an area
    (township | community | grid), the incident category, or a local calendar unit (day | week |
    month of ``time_col`` in Asia/Shanghai, key ``YYYY-MM-DD`` of the unit's first day; weeks start
    on Monday); ``joins`` are (target, onclause, outer) for ``select_from(model)``. Raises BadInput."""
    if by in ("day", "week", "month") and time_col is not None:
        key = func.to_char(func.date_trunc(by, func.timezone(local_zone().key, time_col)), "YYYY-MM-DD")
        return key, None, []
    if by == "community":
        area = aliased(AdminArea)
        return model.community_code, area.name, [(area, area.code == model.community_code, False)]
    if by == "township":
        community, township = aliased(AdminArea), aliased(AdminArea)
        return township.code, township.name, [(community, community.code == model.community_code, False),
                                              (township, township.code == community.parent_code, False)]
    if by == "grid":
        return model.grid_code, Grid.name, [(Grid, Grid.code == model.grid_code, True)]
    if by == "category" and model is Incident:
        return Incident.category_code, IncidentCategory.name, [
            (IncidentCategory, IncidentCategory.code == Incident.category_code, False)]
    raise BadInput(_("by 必须是 %(groups)s 之一，收到 %(value)s", groups=" | ".join(GROUPS), value=repr(by)),
                   code="invalid_by")


def grouped(model, columns, conds, by: str, time_col=None):
    """Rows of ``columns`` (labelled SQL aggregates over ``model``) per group ``by`` (see
    :func:`group_key`), ordered by key: each row's mapping has ``key``, ``name`` and the labels."""
    key, name, joins = group_key(model, by, time_col)
    q = select(key.label("key"), (name if name is not None else literal(None)).label("name"), *columns) \
        .select_from(model)
    for target, onclause, outer in joins:
        q = q.join(target, onclause, isouter=outer)
    group = [key] + ([name] if name is not None else [])
    return db.session.execute(q.where(*conds).group_by(*group).order_by(key)).all()


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


def figures_of(c) -> dict:
    """The figures dict (counts, rates, time_to_close_hours, overdue) from one row of aggregates
    labelled as :func:`_columns` labels them (a mapping)."""
    counts = {k: int(c[k]) for k in ("reported", "filed", "due", "handled_on_time", "closed",
                                     "closed_on_time", "handled_ever", "reworked", "extended")}
    return {
        "counts": counts,
        "rates": {
            "filing_rate": _rate(counts["filed"], counts["reported"]),
            "on_time_handling_rate": _rate(counts["handled_on_time"], counts["due"]),
            "closing_rate": _rate(counts["closed"], counts["filed"]),
            "on_time_closing_rate": _rate(counts["closed_on_time"], counts["closed"]),
            "rework_rate": _rate(counts["reworked"], counts["handled_ever"]),
            "extension_rate": _rate(counts["extended"], counts["filed"]),
        },
        "time_to_close_hours": {
            "mean": None if c["mean_hours"] is None else round(float(c["mean_hours"]), 2),
            "median": None if c["median_hours"] is None else round(float(c["median_hours"]), 2),
        },
        "overdue": int(c["overdue_now"]),
    }


def cohort_conditions(user: User, level, code, date_from, date_to) -> list:
    """SQL conditions on Incident for the cohort C (module doc): in the area (checked: exists, in
    scope), not merged, reported in the local dates. Raises as :func:`area_condition` and
    BadInput for the dates."""
    return [area_condition(user, level, code), Incident.status != "merged",
            *period_conditions(Incident.reported_at, date_from, date_to)]


def compute_by(user: User, level, code, date_from=None, date_to=None, by=(),
               now: datetime | None = None) -> tuple[dict, dict[str, list[dict]]]:
    """The KPIs of the cohort and its groups for each unit of ``by`` (township | community |
    grid | category | day | week | month, see :func:`group_key`) in one SQL statement: every case
    is read and its history looked up once, then aggregated over ``GROUPING SETS`` (the
    dashboard needs the total and four breakdowns; with a statement each, every statement read
    the cases and probed their histories again: the dashboard of a month of the 1,000,000-case
    city of bench/city.py took 4.9 s, now 1.5–1.9 s).

    Returns (figures, {unit: groups}): figures as :func:`compute` without level/code/from/to,
    groups as :func:`groups`. Same errors as :func:`compute`."""
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


def compute(user: User, level, code, date_from=None, date_to=None, now: datetime | None = None,
            by: str | None = None) -> dict:
    """KPIs (definitions in the module docstring) of one area and date range.

    Returns {level, code, from, to, counts: {...}, rates: {...}, time_to_close_hours: {mean,
    median}, overdue}; ``overdue`` = filed cases of the cohort still filed/dispatched/in
    progress/deferred past their deadline at the time of the query (逾期未办结). With ``by``
    also {by, groups} as :func:`groups`. Raises BadInput (level/dates/by), NotFound (area),
    Forbidden (outside scope).
    """
    total, groups_by = compute_by(user, level, code, date_from, date_to, () if by is None else (by,), now)
    result = {"level": level, "code": code, "from": date_from, "to": date_to, **total}
    if by is not None:
        result["by"] = by
        result["groups"] = groups_by[by]
    return result


def groups(user: User, level, code, date_from=None, date_to=None, by: str = "community",
           now: datetime | None = None) -> list[dict]:
    """The KPIs of :func:`compute` per group ``by`` township | community | grid | category | day |
    week | month (see :func:`group_key`): [{code, name, counts, rates, time_to_close_hours,
    overdue}] ordered by code; groups without a case are absent, ``name`` is null for calendar
    units and ``code`` null for cases outside any grid (by grid). Same errors as :func:`compute`."""
    return compute_by(user, level, code, date_from, date_to, (by,), now)[1][by]
