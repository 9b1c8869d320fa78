"""KPIs of the closed loop: their definitions (below), the cohort's area and period conditions, the
breakdowns (:func:`group_key`) and the figures' shape (:func:`figures_of`). They are computed by
:mod:`gridapp.analytics.facts` from each case's contribution, which the database keeps on every
write (the SQL of the contribution: migration ``0014_kpi_rollups``, ``CONTRIBUTION``; a change of
a definition is a new migration that re-creates the trigger functions and calls
``kpi_facts_rebuild()``). tests/integration/analytics/kpi_reference.py computes the same
definitions from the raw cases; the equivalence test holds the two together.

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
The same figures per township, community, grid, category or local day/week/month: the groups of
:func:`gridapp.analytics.facts.compute_by` (without a median per group).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import aliased

from ..boundaries.rules import EXPORT_LEVELS
from ..core.clock import local_zone
from ..core.errors import BadInput, Forbidden, NotFound
from ..core.params import area_level, period_conditions
from ..core.scope import Location, contains
from ..extensions import db
from ..models import AdminArea, Grid, Incident, IncidentCategory, User
from .rules import GROUPS


def area_condition(user: User, level, code, model=Incident):
    """SQL condition on ``model`` (Incident, or any located row with grid_code, community_code
    and district_code columns: Dispute, Place) for the area, after checking it exists and is in
    scope; below a district it also names the area's district (a row's district is its community's),
    the first key of the per-district indexes (``ix_incidents_open_cohort``). Raises BadInput
    (level), NotFound (area), Forbidden (outside the user's scope)."""
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
    return cond if level == "district" else and_(district_col == district, cond)


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


def figures_of(c) -> dict:
    """The figures dict (counts, rates, time_to_close_hours, overdue) from a mapping of the nine
    counts, ``due``, ``overdue_now``, ``mean_hours`` and ``median_hours`` (None when undefined)."""
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
