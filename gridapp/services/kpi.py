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
(``percentile_cont(0.5)``), rounded to 2 places.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, select

from ..errors import BadInput, Forbidden, NotFound
from ..extensions import db
from ..models import AdminArea, Grid, Incident, IncidentApproval, IncidentEvent, User
from .scope import worker_grid_codes
from .workflow import DEADLINE_STATES, date_range, utcnow

LEVELS = ("grid", "community", "township", "district")


def area_condition(user: User, level, code, model=Incident):
    """SQL condition on ``model`` (Incident, or any located row with grid_code, community_code
    and district_code columns: Dispute, Place) for the area, after checking it exists and is in
    scope. Raises BadInput (level), NotFound (area), Forbidden (outside the user's scope)."""
    grid_col, community_col, district_col = model.grid_code, model.community_code, model.district_code
    if level not in LEVELS:
        raise BadInput(_("level 必须是 grid、community、township 或 district"), code="invalid_level")
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
    role, scope = user.role, user.scope_code
    allowed = (role == "admin" or (role == "district" and district == scope)
               or (role == "township" and township == scope)
               or (role == "secretary" and community == scope)
               or (role == "worker" and level == "grid" and code in worker_grid_codes(user)))
    if not allowed:
        raise Forbidden(_("区域 %(code)s 不在您的管辖范围内", code=code), code="outside_scope")
    return cond


def _rate(num: int, den: int) -> float | None:
    return None if not den else round(num / den, 4)


def compute(user: User, level, code, date_from=None, date_to=None, now: datetime | None = None) -> dict:
    """KPIs (definitions in the module docstring) of one area and date range.

    Returns {level, code, from, to, counts: {...}, rates: {...}, time_to_close_hours: {mean,
    median}}. Raises BadInput (level/dates), NotFound (area), Forbidden (outside scope).
    """
    now = now or utcnow()
    conds = [area_condition(user, level, code), Incident.status != "merged"]
    start, end = date_range(date_from, date_to)
    if start:
        conds.append(Incident.reported_at >= start)
    if end:
        conds.append(Incident.reported_at < end)
    I = Incident  # noqa: E741,N806 - short alias in the query
    handled_ever = exists().where(IncidentEvent.incident_id == I.id, IncidentEvent.action == "handle")
    reworked = exists().where(IncidentEvent.incident_id == I.id, IncidentEvent.action == "verify",
                              IncidentEvent.to_state == "dispatched")
    extended = exists().where(IncidentApproval.incident_id == I.id, IncidentApproval.action == "extend",
                              IncidentApproval.decision == "approved")
    hours = func.extract("epoch", I.closed_at - I.reported_at) / 3600.0
    row = db.session.execute(select(
        func.count().label("reported"),
        func.count().filter(I.filed_at.is_not(None)).label("filed"),
        func.count().filter(and_(I.filed_at.is_not(None), (I.handled_at.is_not(None)) | and_(
            I.status.in_(DEADLINE_STATES), I.deadline_at < now))).label("due"),
        func.count().filter(I.handled_at <= I.deadline_at).label("handled_on_time"),
        func.count().filter(I.closed_at.is_not(None)).label("closed"),
        func.count().filter(I.closed_at <= I.deadline_at).label("closed_on_time"),
        func.count().filter(handled_ever).label("handled_ever"),
        func.count().filter(and_(handled_ever, reworked)).label("reworked"),
        func.count().filter(and_(I.filed_at.is_not(None), extended)).label("extended"),
        func.avg(case((I.closed_at.is_not(None), hours))).label("mean_hours"),
        func.percentile_cont(0.5).within_group(hours).filter(I.closed_at.is_not(None)).label("median_hours"),
    ).where(*conds)).one()
    c = row._mapping
    counts = {k: int(c[k]) for k in ("reported", "filed", "due", "handled_on_time", "closed",
                                     "closed_on_time", "handled_ever", "reworked", "extended")}
    return {
        "level": level, "code": code, "from": date_from, "to": date_to,
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
    }
