"""The incident KPIs of :mod:`gridapp.analytics.kpi` read from the daily facts (issue 23): any
period's dashboard sums pre-aggregated rows instead of reading every case and its history.

Facts (:mod:`gridapp.models.facts`, migration ``0013_daily_facts``): ``kpi_case_facts`` holds each
case's contribution (report day in the local zone, area, category, close-time bucket and the
components reported, filed, handled_filed, handled_on_time, closed, closed_on_time, handled_ever,
reworked, extended, close_seconds) and ``kpi_daily_facts`` their sums per day × grid × category ×
bucket. Database triggers on ``incidents`` (insert, update, delete), ``incident_events`` (handle,
verify) and ``incident_approvals`` (extend) call ``kpi_facts_refresh(incident)``, which subtracts
the case's stored contribution and adds its current one — in the same transaction as the write,
whatever writes (actions, imports, the demo, tests). Merged cases contribute nothing. A case's
contribution is keyed by its report day, so a case closed after midnight (or a month later)
changes its report day's row, as the cohort definition asks.

What is not stored, because it depends on the time of the query: ``overdue`` and the part of
``due`` made of unhandled filed cases past their deadline — counted live from the open cases
past their deadline (partial index ``ix_incidents_open_deadline``), with the same cohort.

Medians: a histogram. ``close_bucket`` is the whole hours from report to close (capped at
:data:`BUCKET_CAP`), and each bucket keeps its cases' seconds to close; the median is read off the
summed histogram as ``percentile_cont(0.5)`` would be, each bucket's cases taken at the bucket's
mean. It is exact when the middle cases are alone in their buckets and otherwise within one hour
of the exact median of the cohort (:func:`histogram_median`); every other figure is exactly the
definition's (tests/integration/analytics/test_facts_equivalence.py).

:func:`rebuild` recomputes both tables from the cases (after a bulk load with the triggers off).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, literal, select, text, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ..core import params as p
from ..core.clock import local_zone, utcnow
from ..extensions import db
from ..incidents.rules import DEADLINE_STATES
from ..models import Incident, IncidentCategory, KpiCaseFact, KpiDailyFact, User
from ..models.facts import FACT_COUNTS
from .kpi import area_condition, cohort_conditions, figures_of, group_key

F = KpiDailyFact
#: close-time buckets are whole hours up to this cap (366 days); longer closes share the cap's bucket
BUCKET_CAP = 8784


def _fact_key(by: str):
    """(key, name, joins) of :func:`gridapp.analytics.kpi.group_key` for the fact rows."""
    if by in ("day", "week", "month"):
        return func.to_char(func.date_trunc(by, F.day), "YYYY-MM-DD"), None, []
    if by == "category":
        return F.category_code, IncidentCategory.name, [(IncidentCategory, IncidentCategory.code == F.category_code,
                                                         False)]
    return group_key(F, by)


def _grouping_select(model, units: list[str], keys_of, columns, conds, also=None):
    """SELECT of ``columns`` over ``model`` for the total and per unit (GROUPING SETS), each set
    also grouped by the column ``also`` when given; columns ``set<i>`` (0 in unit i's rows),
    ``key<i>``, ``name<i>``, ``also``, then ``columns``."""
    extra, joins = [], []
    for i, unit in enumerate(units):
        key, name, unit_joins = keys_of(unit)
        extra += [key.label(f"key{i}"), (name if name is not None else literal(None)).label(f"name{i}")]
        joins += [(t, on) for t, on, _outer in unit_joins]
    tail = [also.label("also")] if also is not None else []
    q = select(*(func.grouping(e).label(f"set{i}") for i, e in enumerate(extra[::2])), *extra, *tail, *columns) \
        .select_from(model)
    for target, onclause in joins:
        q = q.outerjoin(target, onclause)
    q = q.where(*conds)
    if units:
        return q.group_by(func.grouping_sets(tuple_(*tail), *(tuple_(extra[2 * i], extra[2 * i + 1], *tail)
                                                              for i in range(len(units)))))
    return q.group_by(*tail) if tail else q


def _split(rows, units: list[str]) -> tuple[list[dict], list[dict]]:
    """([total mappings], [{unit, key, name, **columns}]) of the rows of :func:`_grouping_select`."""
    totals, groups = [], []
    for row in rows:
        m = row._mapping
        unit = next((i for i in range(len(units)) if m[f"set{i}"] == 0), None)
        if unit is None:
            totals.append(dict(m))
        else:
            groups.append({**m, "unit": units[unit], "key": m[f"key{unit}"], "name": m[f"name{unit}"]})
    return totals, groups


def _grouped(model, units: list[str], keys_of, columns, conds) -> tuple[list[dict], list[dict]]:
    """The rows of :func:`_grouping_select`, split as :func:`_split`."""
    return _split(db.session.execute(_grouping_select(model, units, keys_of, columns, conds)), units)


def _histograms(units: list[str], conds) -> dict[tuple, dict[int, tuple[int, Decimal]]]:
    """{(unit or None, key or None): {close bucket: (closed cases, their seconds to close)}} of the
    total and each group: summed per bucket in SQL and handed over as arrays (not a row per bucket)."""
    sums = [func.sum(F.closed).label("n"), func.sum(F.close_seconds).label("s")]
    inner = _grouping_select(F, units, _fact_key, sums, conds + [F.close_bucket >= 0], also=F.close_bucket
                             ).subquery("hist")
    group = [inner.c[f"{part}{i}"] for i in range(len(units)) for part in ("set", "key", "name")]
    arrays = [func.array_agg(aggregate_order_by(inner.c[c], inner.c.also)).label(c) for c in ("also", "n", "s")]
    totals, groups = _split(db.session.execute(select(*group, *arrays).group_by(*group)), units)
    return {(r.get("unit"), r.get("key")): {b: (int(n), secs) for b, n, secs in
                                            zip(r["also"] or [], r["n"] or [], r["s"] or [], strict=True)}
            for r in totals + groups}


def histogram_median(buckets: Iterable[tuple[int, tuple[int, Decimal]]]) -> float | None:
    """The median (``percentile_cont(0.5)``, hours) of the closing times given per whole-hour
    bucket as (bucket, (count, sum of seconds)): the values of a bucket taken at the bucket's
    mean — exact when the middle values are alone in their buckets, else within their bucket:
    within an hour of the exact median. None without values."""
    items = sorted((b, n, float(secs) / 3600 / n) for b, (n, secs) in buckets if n)
    total = sum(n for _b, n, _mean in items)
    if not total:
        return None
    pos = 0.5 * (total - 1)

    def value(rank: int) -> float:
        seen = 0
        for _bucket, n, mean in items:
            if rank < seen + n:
                return mean
            seen += n
        raise AssertionError("rank beyond the histogram")

    lo = int(pos)
    low = value(lo)
    return low + (pos - lo) * (value(lo + 1) - low) if pos > lo else low


def compute_by(user: User, level, code, date_from=None, date_to=None, by=(),
               now: datetime | None = None) -> tuple[dict, dict[str, list[dict]]]:
    """The figures of :func:`gridapp.analytics.kpi.compute_by` (same arguments, result and
    errors) from the daily facts: counts and means exact, medians from the histogram (module
    doc), ``overdue`` and ``due`` counted live from the open cases of the cohort."""
    now = now or utcnow()
    units = list(dict.fromkeys(by))
    p.date_range(date_from, date_to)  # the same errors as the cohort's (from after to)
    conds = [area_condition(user, level, code, F)]
    if date_from:
        conds.append(F.day >= p.day(date_from, "from"))
    if date_to:
        conds.append(F.day <= p.day(date_to, "to"))
    sums = [func.coalesce(func.sum(getattr(F, c)), 0).label(c) for c in FACT_COUNTS] + \
        [func.coalesce(func.sum(F.close_seconds), 0).label("close_seconds")]
    totals, rows = _grouped(F, units, _fact_key, sums, conds)
    histograms = _histograms(units, conds)
    live_totals, live_rows = _grouped(
        Incident, units, lambda u: group_key(Incident, u, Incident.reported_at),
        [func.count().label("overdue_now"), func.count().filter(Incident.handled_at.is_(None)).label("due_open")],
        cohort_conditions(user, level, code, date_from, date_to)
        + [Incident.status.in_(DEADLINE_STATES), Incident.deadline_at < now, Incident.filed_at.is_not(None)])
    live = {(r["unit"], r["key"]): r for r in live_rows}
    live[(None, None)] = live_totals[0] if live_totals else {}

    def figures(row: dict, unit, key) -> dict:
        extra = live.get((unit, key), {})
        closed = int(row["closed"])
        mean = None if not closed else Decimal(row["close_seconds"]) / 3600 / closed
        return figures_of({**{c: int(row[c]) for c in FACT_COUNTS},
                           "due": int(row["handled_filed"]) + int(extra.get("due_open", 0)),
                           "overdue_now": int(extra.get("overdue_now", 0)), "mean_hours": mean,
                           "median_hours": histogram_median(histograms.get((unit, key), {}).items())})

    empty = {c: 0 for c in FACT_COUNTS} | {"close_seconds": 0, "closed": 0}
    result = figures(totals[0] if totals and totals[0]["reported"] is not None else empty, None, None)
    groups_by: dict[str, list[dict]] = {unit: [] for unit in units}
    for r in sorted(rows, key=lambda r: (r["key"] is None, r["key"] or "")):
        groups_by[r["unit"]].append({"code": r["key"], "name": r["name"], **figures(r, r["unit"], r["key"])})
    return result, groups_by


def rebuild() -> tuple[int, int]:
    """Recompute both fact tables from the cases (one transaction; the triggers stay as they
    are): ``kpi_local_zone()`` re-created from the app's zone, every case's contribution
    recomputed by the same SQL the trigger runs, the daily sums regrouped. Returns (case facts,
    daily facts). For bulk loads: disable the triggers, load, rebuild."""
    session = db.session
    session.execute(text(f"CREATE OR REPLACE FUNCTION kpi_local_zone() RETURNS text LANGUAGE sql IMMUTABLE "
                         f"AS $$ SELECT '{local_zone().key}'::text $$"))
    session.execute(text("TRUNCATE kpi_case_facts, kpi_daily_facts"))
    session.execute(text("SELECT kpi_facts_rebuild()"))
    cases = session.scalar(select(func.count()).select_from(KpiCaseFact))
    daily = session.scalar(select(func.count()).select_from(KpiDailyFact))
    session.commit()
    return cases, daily
