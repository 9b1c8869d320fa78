"""Reads of disputes: the register (filtered list), types, mediators and the figures (化解率…)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from ..analytics.kpi import area_condition
from ..analytics.kpi import grouped as kpi_grouped
from ..core import params as p
from ..core.clock import utcnow
from ..extensions import db
from ..models import AdminArea, Dispute, DisputeType, DisputeVisit, MediationCommittee, Mediator, User
from .rules import CHANNELS, CLOSED_OUT, DEADLINE_DAYS, DIFFICULTIES, OPEN_STATES, RISK_LEVELS, STATE_NAMES
from .workflow import dispute_filter


def active_types() -> list[DisputeType]:
    """Dispute types offered for new registrations, in order."""
    return list(db.session.scalars(select(DisputeType).where(DisputeType.active.is_(True))
                                   .order_by(DisputeType.position, DisputeType.code)))


def search(user: User, args: dict, now: datetime | None = None) -> tuple[list[Dispute], int, int, int]:
    """The disputes in the user's scope, filtered, newest first, one page.

    ``args`` (strings, optional): state (comma-separated), type, difficulty, risk_level,
    escalation_risk (true), community, overdue (true), from / to (local dates on registered_at),
    page, per_page (1–500). Returns (disputes, total, page, per_page). Raises BadInput."""
    return p.page_of(Dispute, search_conditions(user, args, now), SEARCH_ORDER, args)


#: the register's order: newest first
SEARCH_ORDER = (Dispute.registered_at.desc(), Dispute.id.desc())


def search_conditions(user: User, args: dict, now: datetime | None = None) -> list:
    """SQL conditions on :class:`Dispute` for the filters of :func:`search` (scope first).
    Raises BadInput for a malformed filter."""
    now = now or utcnow()
    conds = [dispute_filter(user)]
    if args.get("state"):
        conds.append(Dispute.status.in_(p.states(args["state"], "state", STATE_NAMES)))
    for key, col, allowed in (("type", Dispute.type_code, None), ("difficulty", Dispute.difficulty, DIFFICULTIES),
                              ("risk_level", Dispute.risk_level, RISK_LEVELS),
                              ("community", Dispute.community_code, None)):
        if args.get(key):
            if allowed:
                p.choice(args[key], key, allowed)
            conds.append(col == str(args[key]))
    if p.flag(args, "escalation_risk"):
        conds.append(Dispute.escalation_risk.is_(True))
    if p.flag(args, "overdue"):
        conds.append(and_(Dispute.status.in_(OPEN_STATES), Dispute.deadline_at < now))
    return conds + p.period_conditions(Dispute.registered_at, args.get("from"), args.get("to"))


def mediators(user: User) -> list[Mediator]:
    """Mediators of the committees in the user's district (all for admin), by committee and name."""
    q = select(Mediator).join(MediationCommittee).order_by(MediationCommittee.name, Mediator.name)
    if user.role != "admin":
        district = (user.scope_code or "")[:6]
        q = q.where(MediationCommittee.district_code == district)
    return list(db.session.scalars(q))


def stats(user: User, level, code, date_from=None, date_to=None, by: str | None = None) -> dict:
    """Figures of the disputes of an area and date range, by one SQL query each (no counters).

    Cohort D: disputes located in the area (``level`` grid|community|township|district,
    ``code``; checked to exist and be in the user's scope, as the incident KPIs) whose
    ``registered_at`` falls in [from, to] (local dates, Asia/Shanghai, inclusive; open ends when
    omitted). Over D:

    * registered — |D|;
    * closed_out (已办结) — disputes with an outcome: state resolved, failed or referred;
    * resolved (化解) — state resolved (调解成功);
    * resolution_rate (化解率) = resolved / closed_out (null when closed_out = 0), 4 places;
    * resolved_within_30_days — resolved with ``closed_at − registered_at ≤ 30 days``
      (the original 30 days; an extension does not count);
    * referred by channel — state referred, by ``channel`` (court, police, petition);
    * failed — state failed (调解失败, not referred afterwards);
    * open, overdue (now) — registered/mediating, and of those past the deadline;
    * satisfaction — visits (回访) of disputes of D: count and mean score (1–5, 2 places);
    * by_type and by_community — registered, closed_out, resolved per type / community.

    With ``by`` also {by, groups} as :func:`groups`.
    Raises BadInput (level/dates/by), NotFound (area), Forbidden (outside scope).
    """
    conds = _cohort(user, level, code, date_from, date_to)
    D = Dispute  # noqa: N806 - short alias in the query
    closed_out = D.status.in_(CLOSED_OUT)
    resolved = D.status == "resolved"
    row = db.session.execute(select(*_columns(utcnow())).where(*conds)).one()._mapping
    visit_row = db.session.execute(select(func.count(DisputeVisit.id), func.avg(DisputeVisit.satisfaction))
                                   .join(D, D.id == DisputeVisit.dispute_id).where(*conds)).one()

    def grouped(col, name_col=None, join=None):
        q = select(col, *( [name_col] if name_col is not None else []), func.count(),
                   func.count().filter(closed_out), func.count().filter(resolved)).where(*conds)
        if join is not None:
            q = q.join(*join)
        q = q.group_by(col, *([name_col] if name_col is not None else [])).order_by(col)
        return [{"code": r[0], **({"name": r[1]} if name_col is not None else {}),
                 "registered": r[-3], "closed_out": r[-2], "resolved": r[-1]} for r in db.session.execute(q)]

    result = {
        "level": level, "code": code, "from": date_from, "to": date_to,
        **_figures(row),
        "satisfaction": {"visits": int(visit_row[0]),
                         "mean": None if visit_row[1] is None else round(float(visit_row[1]), 2)},
        "by_type": grouped(D.type_code, DisputeType.name, (DisputeType, DisputeType.code == D.type_code)),
        "by_community": grouped(D.community_code, AdminArea.name, (AdminArea, AdminArea.code == D.community_code)),
    }
    if by is not None:
        result["by"] = by
        result["groups"] = groups(user, level, code, date_from, date_to, by)
    return result


def _cohort(user: User, level, code, date_from, date_to) -> list:
    return [area_condition(user, level, code, Dispute),
            *p.period_conditions(Dispute.registered_at, date_from, date_to)]


def _columns(now: datetime) -> list:
    D = Dispute  # noqa: N806 - short alias in the query
    resolved = D.status == "resolved"
    return [
        func.count().label("registered"),
        func.count().filter(D.status.in_(CLOSED_OUT)).label("closed_out"),
        func.count().filter(resolved).label("resolved"),
        func.count().filter(and_(resolved, D.closed_at - D.registered_at <= timedelta(days=DEADLINE_DAYS)))
        .label("resolved_within_30_days"),
        func.count().filter(D.status == "failed").label("failed"),
        *(func.count().filter(and_(D.status == "referred", D.channel == c)).label(f"referred_{c}") for c in CHANNELS),
        func.count().filter(D.status.in_(OPEN_STATES)).label("open"),
        func.count().filter(and_(D.status.in_(OPEN_STATES), D.deadline_at < now)).label("overdue"),
    ]


def _figures(row) -> dict:
    counts = {k: int(row[k]) for k in ("registered", "closed_out", "resolved", "resolved_within_30_days",
                                       "failed", "open", "overdue")}
    return {"counts": counts, "referred": {c: int(row[f"referred_{c}"]) for c in CHANNELS},
            "resolution_rate": round(counts["resolved"] / counts["closed_out"], 4) if counts["closed_out"] else None}


def groups(user: User, level, code, date_from=None, date_to=None, by: str = "community") -> list[dict]:
    """The dispute figures of :func:`stats` per group ``by`` township | community | grid | day |
    week | month (as :func:`gridapp.analytics.kpi.group_key`, on ``registered_at``): [{code, name,
    counts, referred, resolution_rate}] ordered by code; groups without disputes absent. Same
    errors as :func:`stats`."""
    conds = _cohort(user, level, code, date_from, date_to)
    return [{"code": r.key, "name": r.name, **_figures(r._mapping)}
            for r in kpi_grouped(Dispute, _columns(utcnow()), conds, by, Dispute.registered_at)]


def map_counts(user: User) -> dict:
    """Counts of the visible disputes by state and by risk level (legend of the map layer)."""
    rows = db.session.execute(select(Dispute.status, Dispute.risk_level, func.count())
                              .where(dispute_filter(user)).group_by(Dispute.status, Dispute.risk_level))
    out: dict = {"state": {}, "risk": {}}
    for state, risk, n in rows:
        out["state"][state] = out["state"].get(state, 0) + n
        out["risk"][risk] = out["risk"].get(risk, 0) + n
    return out
