"""District review dashboard (issue 7): the figures of the coverage, incident KPI, dispute and
inspection services for one area and period, next to the previous period of equal length, per
sub-area (tables, map layers) and over time (charts) — assembled here, computed by none of its
own queries except the areas' geometry and size (km² in the equal-area EPSG:6933 projection, as
:mod:`gridapp.coverage.check` measures areas).

Levels drill down district → township → community → grid. Access (scope rules of
:mod:`gridapp.core.scope`, checked by the services called): admin and district users see the
whole district, a township user their township, a secretary their community; grid workers are
refused (403 ``forbidden``).

Period: local dates (Asia/Shanghai), both inclusive; by default the 30 days ending today. The
previous period is the same number of days ending the day before ``from``. Coverage has no period
(it is the current state of the rosters and groups).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import func, select

from ..boundaries.areas import feature_collection, geojson_column, own_area_code
from ..boundaries.rules import LEVEL_NAMES
from ..core import tabular
from ..core.clock import local_zone, utcnow
from ..core.errors import BadInput, Forbidden
from ..core.roles import FIELD_ROLES, ROLE_NAMES, SCOPE_LEVEL
from ..coverage import service as coverage
from ..disputes import queries as dispute_queries
from ..extensions import db
from ..inspections import figures as place_figures
from ..models import AdminArea, Grid, User
from . import facts, kpi
from .rules import CHILD, DEFAULT_DAYS, MAX_DAYS, RATES, REPORT_COLUMNS


def default_area(user: User) -> tuple[str, str]:
    """(level, code) of the user's own dashboard; Forbidden (403) for grid workers and handlers."""
    if user.role in FIELD_ROLES:
        raise Forbidden(_("%(role)s无权查看辖区统计看板", role=ROLE_NAMES[user.role]), code="forbidden")
    if user.role == "admin" or (user.role == "district" and not user.scope_code):
        return "district", own_area_code(user)
    return SCOPE_LEVEL[user.role], user.scope_code


def _day(value, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadInput(_("%(field)s 必须是 YYYY-MM-DD 格式的日期", field=field), code="invalid_date") from None


def periods(date_from=None, date_to=None, today: date | None = None) -> dict:
    """The period and the previous one: {from, to, days, previous_from, previous_to} (ISO dates,
    inclusive). Defaults: ``to`` today (Asia/Shanghai), ``from`` :data:`DEFAULT_DAYS` − 1 days
    before ``to``. Raises BadInput for a malformed date, ``from`` after ``to`` or more than
    :data:`MAX_DAYS` days."""
    today = today or datetime.now(local_zone()).date()
    end = _day(date_to, "to") if date_to else None
    start = _day(date_from, "from") if date_from else None
    end = end or (today if start is None or start <= today else start)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    days = (end - start).days + 1
    if days < 1:
        raise BadInput(_("起始日期 (from) 不能晚于截止日期 (to)"), code="invalid_range")
    if days > MAX_DAYS:
        raise BadInput(_("统计期不能超过 %(n)s 天", n=MAX_DAYS), code="invalid_range")
    prev_end = start - timedelta(days=1)
    return {"from": start.isoformat(), "to": end.isoformat(), "days": days,
            "previous_from": (prev_end - timedelta(days=days - 1)).isoformat(), "previous_to": prev_end.isoformat()}


def _area_name(level: str, code: str) -> str | None:
    model = Grid if level == "grid" else AdminArea
    return db.session.scalar(select(model.name).where(model.code == code))


def _trail(level: str, code: str) -> list[dict]:
    """The breadcrumb from the district down to the area: [{level, code, name}]."""
    codes = {"district": code[:6], "township": code[:9], "community": code[:12], "grid": code}
    order = list(CHILD)
    return [{"level": lv, "code": codes[lv], "name": _area_name(lv, codes[lv])}
            for lv in order[:order.index(level) + 1]]


def resolve(user: User, level, code) -> tuple[str, str]:
    """(level, code) of the dashboard asked for — the user's own area when ``level`` is empty —
    checked to exist and lie in the user's scope. Raises BadInput (level), NotFound (area),
    Forbidden (outside scope; grid workers and handlers always)."""
    if user.role in FIELD_ROLES:
        raise Forbidden(_("%(role)s无权查看辖区统计看板", role=ROLE_NAMES[user.role]), code="forbidden")
    level, code = default_area(user) if not level else (level, str(code or ""))
    kpi.area_condition(user, level, code)
    return level, code


def summary(user: User, level=None, code=None, date_from=None, date_to=None, now: datetime | None = None) -> dict:
    """The dashboard of one area and period.

    Returns {level, code, name, trail: [{level, code, name}], period: (see :func:`periods`),
    child_level (township | community | grid | null), coverage (:func:`coverage.coverage`),
    kpi: {current, previous} (:func:`facts.compute`), disputes: {current, previous}
    (:func:`dispute_queries.stats`), inspections: {current, previous} (:func:`place_figures.compute`),
    children: :func:`children` rows, charts: {unit (day | week | month), trend: {incidents:
    kpi groups, disputes: dispute groups}, by_category: kpi groups, by_community: kpi groups}}.
    Raises BadInput (level/dates), NotFound (area), Forbidden (outside scope, grid workers).
    """
    now = now or utcnow()
    level, code = resolve(user, level, code)
    p = periods(date_from, date_to)
    cur, prev = (p["from"], p["to"]), (p["previous_from"], p["previous_to"])
    child = CHILD[level]
    unit = "day" if p["days"] <= 62 else "week" if p["days"] <= 366 else "month"
    # the period's KPIs and every breakdown the page shows, from the facts kept on write
    units = [u for u in (child, unit, "category", "community" if level == "district" else None) if u]
    current, kpi_by = facts.compute_by(user, level, code, *cur, by=units, now=now)
    previous = facts.compute_by(user, level, code, *prev, now=now)[0]
    result = {"level": level, "code": code, "period": p, "child_level": child,
              "kpi": {"current": {"level": level, "code": code, "from": cur[0], "to": cur[1], **current},
                      "previous": {"level": level, "code": code, "from": prev[0], "to": prev[1], **previous}},
              "disputes": {"current": dispute_queries.stats(user, level, code, *cur),
                           "previous": dispute_queries.stats(user, level, code, *prev)},
              "inspections": {"current": place_figures.compute(user, level, code, *cur, now=now),
                              "previous": place_figures.compute(user, level, code, *prev, now=now)},
              "coverage": coverage.coverage(user, level, code)}
    result["name"] = result["coverage"]["name"]
    result["trail"] = _trail(level, code)
    # the coverage of the sub-areas: the children of the area's coverage, computed once
    under = result["coverage"].get("children", [])
    areas = under if child != "grid" else [{"code": g["code"], "name": g["name"], "figures": g} for g in under]
    result["children"] = (children(user, level, code, child, *cur, now=now, kpi_groups=kpi_by[child],
                                   coverage_rows=areas) if child else [])
    result["charts"] = {"unit": unit,
                        "trend": {"incidents": kpi_by[unit],
                                  "disputes": dispute_queries.groups(user, level, code, *cur, by=unit)},
                        "by_category": kpi_by["category"],
                        "by_community": kpi_by.get("community", [])}
    return result


def children(user: User, level: str, code: str, by: str, date_from=None, date_to=None,
             now: datetime | None = None, kpi_groups: list[dict] | None = None,
             coverage_rows: list[dict] | None = None) -> list[dict]:
    """One row per sub-area ``by`` township | community | grid of the area, ordered by code:
    {code, name, coverage: figures (:func:`coverage.figures_by`; ``coverage_rows`` [{code, name,
    figures}] when the caller has them already), gap (grids lacking a worker or a live party
    group: grids − grids_covered; for a grid 0 or 1), kpi: the area's KPI group
    (:func:`facts.groups`, without a median; ``kpi_groups`` when the caller has them already) or null without cases,
    disputes: its dispute group (:func:`dispute_queries.groups`) or null without disputes}."""
    if kpi_groups is None:
        kpi_groups = facts.compute_by(user, level, code, date_from, date_to, (by,), now)[1][by]
    kpis = {g["code"]: g for g in kpi_groups}
    dis = {g["code"]: g for g in dispute_queries.groups(user, level, code, date_from, date_to, by=by)}
    rows = []
    if coverage_rows is None:
        coverage_rows = coverage.figures_by(user, level, code, by)
    for area in coverage_rows:
        fig = area["figures"]
        gap = int(fig["status"] != "covered") if by == "grid" else fig["grids"] - fig["grids_covered"]
        rows.append({"code": area["code"], "name": area["name"], "coverage": fig, "gap": gap,
                     "kpi": kpis.get(area["code"]), "disputes": dis.get(area["code"])})
    return rows


def areas_layer(user: User, level=None, code=None, by=None, date_from=None, date_to=None) -> dict:
    """GeoJSON FeatureCollection (SRID 4326) of the sub-areas ``by`` (default: the next level
    down; ``grid`` gives every grid of the area) for the choropleths: properties {code, name,
    level, area_km2 (EPSG:6933), incidents (reported in the period), density (incidents per km²,
    2 places; null without area), overdue (KPI ``overdue``), gap (see :func:`children`),
    disputes (registered in the period)}. Raises BadInput (level, by, dates), NotFound, Forbidden."""
    level, code = resolve(user, level, code)
    by = by or CHILD[level]
    order = list(CHILD)
    if by not in ("township", "community", "grid") or order.index(by) <= order.index(level):
        raise BadInput(_("by 必须是低于 %(level)s 的层级（township | community | grid）", level=level),
                       code="invalid_by")
    p = periods(date_from, date_to)
    rows = children(user, level, code, by, p["from"], p["to"])
    model = Grid if by == "grid" else AdminArea
    km2 = func.ST_Area(func.ST_Transform(model.geom, 6933)) / 1e6
    shapes = {r.code: r for r in db.session.execute(
        select(model.code, geojson_column(model.geom).label("geometry"), km2.label("km2"))
        .where(model.code.in_([r["code"] for r in rows])))}
    features = []
    for r in rows:
        shape = shapes.get(r["code"])
        if shape is None or shape.geometry is None:
            continue
        incidents = r["kpi"]["counts"]["reported"] if r["kpi"] else 0
        area = round(float(shape.km2), 4) if shape.km2 else None
        features.append({"type": "Feature", "id": r["code"], "geometry": shape.geometry, "properties": {
            "code": r["code"], "name": r["name"], "level": by, "area_km2": area, "incidents": incidents,
            "density": round(incidents / area, 2) if area else None,
            "overdue": r["kpi"]["overdue"] if r["kpi"] else 0, "gap": r["gap"],
            "disputes": r["disputes"]["counts"]["registered"] if r["disputes"] else 0}})
    return {**feature_collection(features), "level": level, "code": code, "by": by, "period": p}


# --- reports ---------------------------------------------------------------------------------



def _report_row(level: str, row: dict) -> dict:
    cov, k, d = row["coverage"], row["kpi"], row["disputes"]
    if level == "grid":  # per-grid coverage (workers, build_type, members, status): one grid
        cov = {"grids": 1, "grids_with_worker": int(cov["workers"] > 0),
               "grids_covered": int(cov["status"] == "covered"),
               "workers": cov["workers"], "groups": None, "groups_single": None, "groups_joint": None,
               "members": cov["members"]}
    return {"level": str(LEVEL_NAMES[level]), "code": row["code"], "name": row["name"],
            **{f: cov[f] for f in ("grids", "grids_with_worker", "grids_covered", "workers", "groups",
                                   "groups_single", "groups_joint", "members")},
            "gap": row["gap"],
            **{f: (k["counts"][f] if k else 0) for f in ("reported", "filed", "closed")},
            "overdue": k["overdue"] if k else 0,
            "closing_rate": k["rates"]["closing_rate"] if k else None,
            "on_time_closing_rate": k["rates"]["on_time_closing_rate"] if k else None,
            "disputes": d["counts"]["registered"] if d else 0, "resolved": d["counts"]["resolved"] if d else 0,
            "resolution_rate": d["resolution_rate"] if d else None}


def report(user: User, level=None, code=None, date_from=None, date_to=None) -> dict:
    """The figures per township and per community of the area for the period (for a community:
    the community and its grids): {level, code, name, period, header: [Chinese column names],
    keys: [column keys], rows: [[values]]} — rates as fractions 0–1 (null when undefined),
    codes as text. Same errors as :func:`summary`."""
    level, code = resolve(user, level, code)
    p = periods(date_from, date_to)
    levels = {"district": ("township", "community"), "township": ("township", "community"),
              "community": ("community", "grid"), "grid": ("grid",)}[level]
    kpi_by = facts.compute_by(user, level, code, p["from"], p["to"], by=levels)[1]
    rows = []
    for by in levels:
        got = children(user, level, code, by, p["from"], p["to"], kpi_groups=kpi_by[by])
        if by == level:  # the area itself (a township's own row)
            got = [r for r in got if r["code"] == code]
        rows += [_report_row(by, r) for r in got]
    keys = [k for k, _name in REPORT_COLUMNS]
    return {"level": level, "code": code, "name": _area_name(level, code), "period": p,
            "header": [str(name) for _k, name in REPORT_COLUMNS], "keys": keys,
            "rows": [[r[k] for k in keys] for r in rows]}


def _title(rep: dict) -> list[str]:
    p = rep["period"]
    return [_("%(name)s 辖区统计报表", name=rep["name"]), _("统计期 %(start)s 至 %(end)s（北京时间，含首尾）",
                                                       start=p["from"], end=p["to"])]


def report_xlsx(user: User, level=None, code=None, date_from=None, date_to=None) -> tuple[bytes, str]:
    """The :func:`report` as an Excel workbook (openpyxl, cells written through
    :func:`gridapp.core.tabular.append_row`: formula-like text neutralised, codes as text,
    numbers as numbers, rates as numbers with a percent format): a title row, the period, the
    Chinese header, one row per area. Returns (bytes, download name)."""
    rep = report(user, level, code, date_from, date_to)
    wb = Workbook()
    ws = wb.active
    ws.title = _("辖区统计")
    for line in _title(rep):
        tabular.append_row(ws, [line])
    tabular.append_row(ws, rep["header"])
    rate_cols = [rep["keys"].index(k) for k in RATES]
    for values in rep["rows"]:
        tabular.append_row(ws, values)
        for i in rate_cols:
            ws.cell(row=ws.max_row, column=i + 1).number_format = "0.0%"
    ws.freeze_panes = "D4"
    return tabular.workbook_bytes(wb, {ws.title: len(_title(rep)) + 1}), _filename(rep, "xlsx")


def report_csv(user: User, level=None, code=None, date_from=None, date_to=None,
               for_excel: bool = False) -> tuple[bytes, str]:
    """The :func:`report` as CSV (:func:`tabular.csv_bytes`: for machines, or ``for_excel``): the
    Chinese header, one row per area; rates as fractions 0–1. Returns (bytes, download name)."""
    rep = report(user, level, code, date_from, date_to)
    return tabular.csv_bytes(rep["header"], rep["rows"], for_excel), _filename(rep, "csv")


def _filename(rep: dict, ext: str) -> str:
    return f"{_('辖区统计')}-{rep['code']}-{rep['period']['from']}-{rep['period']['to']}.{ext}"
