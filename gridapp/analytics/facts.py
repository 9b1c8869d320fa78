"""The incident KPIs (definitions: :mod:`gridapp.analytics.kpi`) read from facts kept on write
(issue 23): any period's dashboard sums a few pre-aggregated rows instead of reading every case
and its history.

Facts (:mod:`gridapp.models.facts`; migrations ``0013_daily_facts`` and ``0014_kpi_rollups``):

* ``kpi_case_facts`` — each case's contribution: local report day, grid, community, township,
  district, category, whole hours to close (``close_bucket``) and the components reported, filed,
  handled_filed, handled_on_time, closed, closed_on_time, handled_ever, reworked, extended,
  close_seconds. Merged cases contribute nothing. A case counts on its report day, so a case
  closed after midnight (or a month later) changes its report day's figures, as the cohort
  definition asks.
* ``kpi_rollups`` — their sums per span (the day ``d``, and the month ``m``) × area (the case's
  district, township and community) × category (``''`` all, and its own);
* ``kpi_close_hours`` — the closed cases per span × area × whole hours to close.

Database triggers on ``incidents``, ``incident_events`` (handle, verify) and
``incident_approvals`` (extend) call ``kpi_facts_refresh(ids)`` in the same transaction as the
write, whatever writes (actions, imports, the demo, tests). The roll-ups are append-only deltas
(a change adds the old contribution negated and the new one), so concurrent reports never wait on
a district's shared row; :func:`compact` (the job runner's tick, every minute) merges each key's
rows into one without changing any sum.

Reading a period: the months wholly inside it from the month rows, the other days from the day
rows — or, where fewer, the month row less its other days (:func:`period_rows`): a year is ≈ 12
month rows per area and its edge days, 30 days ≈ 13 rows per area. Grids have
no roll-up: a grid's figures and breakdowns by grid sum the case facts of the area.

What is not stored, because it depends on the time of the query: ``overdue`` and the part of
``due`` made of unhandled filed cases past their deadline — counted live from the open cases
past their deadline (partial index ``ix_incidents_open_cohort``: district, report time), with the
same cohort.

Medians: exact. The histogram of whole hours gives the bucket(s) holding the middle rank(s); their
values are then read from the case facts of that bucket (``percentile_cont(0.5)``, as the
definition). Only the period's total has a median: breakdowns (per sub-area, category, day …)
carry counts, rates and the mean, not ``time_to_close_hours.median`` (a median per group would read
every closed case again); ask the figures of the sub-area itself for its median.

:func:`rebuild` recomputes every fact from the cases (after a bulk load with the triggers off).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, literal, select, text, tuple_, union_all
from sqlalchemy.orm import aliased

from ..core import params as p
from ..core.clock import local_zone, utcnow
from ..extensions import db
from ..incidents.rules import DEADLINE_STATES
from ..models import AdminArea, Incident, IncidentCategory, KpiCaseFact, KpiCloseHours, KpiRollup, User
from ..models.facts import FACT_COUNTS
from .kpi import area_condition, cohort_conditions, figures_of, group_key

R, H, C = KpiRollup, KpiCloseHours, KpiCaseFact
#: the columns summed
SUMMED = FACT_COUNTS + ("close_seconds",)
#: the area levels with roll-ups (a grid's figures sum its case facts)
ROLLUP_LEVELS = ("district", "township", "community")
CALENDAR = ("day", "week", "month")


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def _partial(first: date, last: date) -> list[tuple]:
    """The pieces of some days [first, last] of one month (not all of it): the days themselves, or
    the month row less the month's other days — whichever reads fewer rows."""
    start, end = first.replace(day=1), _next_month(first) - timedelta(days=1)
    if 1 + (first - start).days + (end - last).days < (last - first).days + 1:
        return [("m", start, start, 1)] + ([("d", start, first - timedelta(days=1), -1)] if first > start else []) \
            + ([("d", last + timedelta(days=1), end, -1)] if last < end else [])
    return [("d", first, last, 1)]


def _pieces(date_from: date | None, date_to: date | None) -> list[tuple]:
    """[(span, first start, last start, sign)] summing each local day of [from, to] exactly once
    (open ends when None): the whole months from their month rows, each partial month as
    :func:`_partial` (a 30-day period reads ≈ 13 rows per area instead of 30)."""
    lo = date_from if date_from is None or date_from.day == 1 else _next_month(date_from)
    hi = None if date_to is None else (date_to + timedelta(days=1)).replace(day=1)
    whole = lo is None or hi is None or lo < hi
    if not whole and date_from.replace(day=1) == date_to.replace(day=1):
        return _partial(date_from, date_to)
    pieces = [("m", lo, hi - timedelta(days=1) if hi else None, 1)] if whole else []
    if date_from is not None and lo > date_from:
        pieces += _partial(date_from, lo - timedelta(days=1))
    if date_to is not None and hi <= date_to:
        pieces += _partial(hi, date_to)
    return pieces


def period_rows(model, date_from: date | None, date_to: date | None, keys: list, summed: tuple[str, ...],
                *conds):
    """Subquery of the rows of a roll-up ``model`` (:class:`KpiRollup`, :class:`KpiCloseHours`)
    meeting ``conds`` whose columns ``summed``, summed, count each local day of [from, to]
    (inclusive; open ends when None) exactly once (:func:`_pieces`): one UNION ALL branch per
    piece, the columns ``keys`` as they are and ``summed`` negated in the pieces subtracted (a
    constant sign per branch: summing costs no per-row CASE)."""
    branches = []
    for span, first, last, sign in _pieces(date_from, date_to):
        values = [getattr(model, c) if sign > 0 else (-getattr(model, c)).label(c) for c in summed]
        branches.append(select(*keys, *values).where(
            model.span == span, *([model.start >= first] if first else []),
            *([model.start <= last] if last else []), *conds))
    return (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("period")


def _sums(columns) -> list:
    """The summed columns of a row source (``.c`` of a subquery, or a model), zero when empty."""
    return [func.coalesce(func.sum(getattr(columns, c)), 0).label(c) for c in SUMMED]


def _case_area(level: str, code: str):
    """Condition on the case facts for the area, keyed as the roll-ups are."""
    return {"grid": C.grid_code, "community": C.community_code, "township": C.township_code,
            "district": C.district_code}[level] == code


def _rows(q) -> list[dict]:
    return [dict(r._mapping) for r in db.session.execute(q)]


def _calendar_key(column, unit: str):
    return func.to_char(func.date_trunc(unit, column), "YYYY-MM-DD")


def _rollup_query(level: str, code: str, unit: str | None, date_from, date_to):
    """The SELECT of the total (``unit`` None) or of one breakdown from the roll-ups, rows {key,
    name, sums}; None when the roll-ups do not hold it (grids; a unit not below the area)."""
    order = list(ROLLUP_LEVELS)
    own = [R.level == level, R.area_code == code]
    if unit is None:
        return select(*_sums(period_rows(R, date_from, date_to, [], SUMMED, *own, R.category_code == "").c))
    if unit == "category":
        rows = period_rows(R, date_from, date_to, [R.category_code], SUMMED, *own, R.category_code != "")
        sums = select(rows.c.category_code.label("key"), *_sums(rows.c)).group_by(rows.c.category_code).subquery()
        return (select(sums.c.key, IncidentCategory.name.label("name"), *(sums.c[c] for c in SUMMED))
                .join(IncidentCategory, IncidentCategory.code == sums.c.key))
    if unit in CALENDAR:
        key = _calendar_key(R.start, unit)
        return (select(key.label("key"), literal(None).label("name"), *_sums(R))
                .where(*own, R.category_code == "", R.span == "d", *([R.start >= date_from] if date_from else []),
                       *([R.start <= date_to] if date_to else []))
                .group_by(key))
    if unit in order and order.index(unit) > order.index(level) and level != "community":
        district = code if level == "district" else db.session.get(AdminArea, code).district_code
        parent = [R.township_code == code] if level == "township" else []
        rows = period_rows(R, date_from, date_to, [R.area_code], SUMMED, R.district_code == district,
                           R.level == unit, R.category_code == "", *parent)
        sums = select(rows.c.area_code.label("key"), *_sums(rows.c)).group_by(rows.c.area_code).subquery()
        area = aliased(AdminArea)
        return (select(sums.c.key, area.name.label("name"), *(sums.c[c] for c in SUMMED))
                .join(area, area.code == sums.c.key))
    return None


def _case_query(level: str, code: str, unit: str | None, date_from, date_to):
    """The SELECT of the total or one breakdown from the case facts of the area (grids)."""
    conds = [_case_area(level, code), *([C.day >= date_from] if date_from else []),
             *([C.day <= date_to] if date_to else [])]
    if unit is None:
        return select(*_sums(C)).where(*conds)
    if unit in CALENDAR:
        key, name, joins = _calendar_key(C.day, unit), None, []
    elif unit == "category":
        key, name, joins = C.category_code, IncidentCategory.name, [(IncidentCategory,
                                                                     IncidentCategory.code == C.category_code, False)]
    else:
        key, name, joins = group_key(C, unit)
    q = select(key.label("key"), (name if name is not None else literal(None)).label("name"), *_sums(C))
    for target, onclause, outer in joins:
        q = q.join(target, onclause, isouter=outer)
    return q.where(*conds).group_by(key, *([name] if name is not None else []))


def _figures(level: str, code: str, unit: str | None, date_from, date_to) -> list[dict]:
    q = None if level not in ROLLUP_LEVELS else _rollup_query(level, code, unit, date_from, date_to)
    return _rows(q if q is not None else _case_query(level, code, unit, date_from, date_to))


def median_hours(level: str, code: str, date_from: date | None, date_to: date | None) -> float | None:
    """The exact median time to close (hours, ``percentile_cont(0.5)`` of the closed cases) of the
    area's cases reported in [from, to]: the whole-hour histogram locates the middle rank(s), the
    case facts of that hour give their values. None without a closed case."""
    days = [*([C.day >= date_from] if date_from else []), *([C.day <= date_to] if date_to else [])]
    if level in ROLLUP_LEVELS:
        rows = period_rows(H, date_from, date_to, [H.close_bucket], ("closed",), H.level == level,
                           H.area_code == code)
        closed = func.sum(rows.c.closed)
        q = select(rows.c.close_bucket, closed).group_by(rows.c.close_bucket).having(closed != 0)
    else:
        q = select(C.close_bucket, func.count()).where(_case_area(level, code), *days, C.close_bucket >= 0)
        q = q.group_by(C.close_bucket)
    buckets = sorted((int(b), int(n)) for b, n in db.session.execute(q))
    total = sum(n for _b, n in buckets)
    if not total:
        return None

    def locate(rank: int) -> tuple[int, int]:  # (bucket, rank within the bucket)
        for bucket, n in buckets:
            if rank < n:
                return bucket, rank
            rank -= n
        raise AssertionError("rank beyond the histogram")

    def values(bucket: int, offset: int, n: int) -> list[float]:
        return [float(v) / 3600 for v in db.session.scalars(
            select(C.close_seconds).where(C.close_bucket == bucket, *days, _case_area(level, code))
            .order_by(C.close_seconds).offset(offset).limit(n))]

    (b1, r1), (b2, r2) = locate((total - 1) // 2), locate(total // 2)
    if b1 == b2:  # the middle one or two cases in one hour: one read
        got = values(b1, r1, r2 - r1 + 1)
        low, high = got[0], got[-1]
    else:
        low, high = values(b1, r1, 1)[0], values(b2, r2, 1)[0]
    return low + 0.5 * (high - low)


def _split_live(rows, units: list[str]) -> dict[tuple, dict]:
    """{(unit or None, key or None): {overdue_now, due_open}} of the live GROUPING SETS rows."""
    live = {}
    for row in rows:
        m = row._mapping
        unit = next((i for i in range(len(units)) if m[f"set{i}"] == 0), None)
        live[(None, None) if unit is None else (units[unit], m[f"key{unit}"])] = dict(m)
    return live


def _live(user: User, level, code, date_from, date_to, units: list[str], now: datetime) -> dict[tuple, dict]:
    """The live part (open cases of the cohort past their deadline now): {(unit, key): {overdue_now,
    due_open}} for the total (None, None) and each group — one statement, GROUPING SETS."""
    extra, joins = [], []
    for i, unit in enumerate(units):
        key, _name, unit_joins = group_key(Incident, unit, Incident.reported_at)
        extra.append(key.label(f"key{i}"))
        joins += [(t, on) for t, on, _outer in unit_joins]
    q = select(*(func.grouping(e).label(f"set{i}") for i, e in enumerate(extra)), *extra,
               func.count().label("overdue_now"),
               func.count().filter(Incident.handled_at.is_(None)).label("due_open")).select_from(Incident)
    for target, onclause in joins:
        q = q.outerjoin(target, onclause)
    q = q.where(*cohort_conditions(user, level, code, date_from, date_to), Incident.status.in_(DEADLINE_STATES),
                Incident.deadline_at < now, Incident.filed_at.is_not(None))
    if units:
        q = q.group_by(func.grouping_sets(tuple_(), *extra))
    return _split_live(db.session.execute(q), units)


def _figures_of(row: dict, live: dict, median=None) -> dict:
    closed = int(row["closed"])
    return figures_of({**{c: int(row[c]) for c in FACT_COUNTS},
                       "due": int(row["handled_filed"]) + int(live.get("due_open", 0)),
                       "overdue_now": int(live.get("overdue_now", 0)),
                       "mean_hours": None if not closed else Decimal(row["close_seconds"]) / 3600 / closed,
                       "median_hours": median})


def compute_by(user: User, level, code, date_from=None, date_to=None, by=(),
               now: datetime | None = None) -> tuple[dict, dict[str, list[dict]]]:
    """The KPIs (definitions: :mod:`gridapp.analytics.kpi`) of the area's cases reported in the
    local dates [from, to] (both optional) and of its groups for each unit of ``by`` (township |
    community | grid | category | day | week | month, see :func:`gridapp.analytics.kpi.group_key`).

    Returns (figures, {unit: groups}): figures {counts, rates, time_to_close_hours: {mean, median},
    overdue}; groups [{code, name, counts, rates, time_to_close_hours: {mean}, overdue}] ordered by
    code (groups without a case absent; ``name`` null for calendar units) — no median per group
    (module doc). Raises BadInput (level, dates, by), NotFound (area), Forbidden (outside scope)."""
    now = now or utcnow()
    units = list(dict.fromkeys(by))
    area_condition(user, level, code)  # exists, in scope; BadInput for the level
    start, end = (p.day(date_from, "from") if date_from else None), (p.day(date_to, "to") if date_to else None)
    p.date_range(date_from, date_to)  # the same errors as the cohort's (from after to)
    for unit in units:
        if unit not in CALENDAR + ("category",):
            group_key(C, unit)  # BadInput for an unknown unit
    level, code = str(level), str(code)
    live = _live(user, level, code, date_from, date_to, units, now)
    total = _figures(level, code, None, start, end)[0]
    result = _figures_of(total, live.get((None, None), {}), median_hours(level, code, start, end))
    groups_by: dict[str, list[dict]] = {}
    for unit in units:
        rows = [r for r in _figures(level, code, unit, start, end) if int(r["reported"])]
        groups = []
        for r in sorted(rows, key=lambda r: (r["key"] is None, r["key"] or "")):
            fig = _figures_of(r, live.get((unit, r["key"]), {}))
            fig["time_to_close_hours"].pop("median")
            groups.append({"code": r["key"], "name": r["name"], **fig})
        groups_by[unit] = groups
    return result, groups_by


def compute(user: User, level, code, date_from=None, date_to=None, now: datetime | None = None,
            by: str | None = None) -> dict:
    """The KPIs of one area and date range: {level, code, from, to, counts: {...}, rates: {...},
    time_to_close_hours: {mean, median}, overdue} (definitions: :mod:`gridapp.analytics.kpi`;
    ``overdue`` = filed cases of the cohort still open past their deadline at ``now``, 逾期未办结);
    with ``by`` also {by, groups} as :func:`groups`. Errors as :func:`compute_by`."""
    total, groups_by = compute_by(user, level, code, date_from, date_to, () if by is None else (by,), now)
    result = {"level": level, "code": code, "from": date_from, "to": date_to, **total}
    if by is not None:
        result["by"] = by
        result["groups"] = groups_by[by]
    return result


def groups(user: User, level, code, date_from=None, date_to=None, by: str = "community",
           now: datetime | None = None) -> list[dict]:
    """The groups of :func:`compute_by` for one unit ``by``."""
    return compute_by(user, level, code, date_from, date_to, (by,), now)[1][by]


def compact() -> int:
    """Merge the roll-up rows written since the last compaction, one row per key (sums
    unchanged; one compaction at a time); commits. Returns the rows written. Run by the job
    runner's tick (:func:`gridapp.jobs.runner.tick`)."""
    merged = db.session.scalar(text("SELECT kpi_rollups_compact()"))
    db.session.commit()
    return int(merged or 0)


def rebuild() -> tuple[int, int]:
    """Recompute every fact from the cases (one transaction; the triggers stay as they are):
    ``kpi_local_zone()`` re-created from the app's zone, every case's contribution recomputed by
    the same SQL the triggers run, the roll-ups regrouped and stored in reading order (``CLUSTER``),
    the three tables analysed. Returns (case facts, roll-up rows). For bulk loads: disable the
    triggers, load, rebuild, then ``VACUUM (ANALYZE)`` (outside any transaction: the index-only reads
    of the live part and the medians need the visibility map; bench/city.py does)."""
    session = db.session
    session.execute(text(f"CREATE OR REPLACE FUNCTION kpi_local_zone() RETURNS text LANGUAGE sql IMMUTABLE "
                         f"AS $$ SELECT '{local_zone().key}'::text $$"))
    session.execute(text("TRUNCATE kpi_case_facts, kpi_rollups, kpi_close_hours"))
    session.execute(text("SELECT kpi_facts_rebuild()"))
    cases = session.scalar(select(func.count()).select_from(C))
    rollups = session.scalar(select(func.count()).select_from(R))
    # the roll-ups in the order a breakdown reads them (a district's communities over a period are
    # then a few adjacent pages, not one page each), then fresh statistics for the rewritten tables
    session.execute(text("CLUSTER kpi_rollups USING ix_kpi_rollups_district"))
    session.execute(text("CLUSTER kpi_close_hours USING ix_kpi_close_hours_area"))
    session.execute(text("ANALYZE kpi_case_facts, kpi_rollups, kpi_close_hours"))
    session.commit()
    return cases, rollups
