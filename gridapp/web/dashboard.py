"""Pages of the district review dashboard (issue 7): the interactive dashboard, its Excel and CSV
reports and a printable page. Figures come from :mod:`gridapp.analytics.dashboard` (which only
assembles the coverage, KPI, dispute and inspection services)."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..analytics import dashboard
from ..analytics import rules as analytics_rules
from ..boundaries import areas
from ..core.params import flag
from ..downloads import CSV, download, xlsx_response
from ..i18n import punct
from ..maps import DashboardLayers, render_parts
from . import bp, page_base_map


def _args() -> tuple:
    a = request.args
    return a.get("level") or None, a.get("code") or None, a.get("from") or None, a.get("to") or None


def _figure(key: str) -> str:
    """The name of a counted figure, as the report's column (analytics/rules.py REPORT_COLUMNS)."""
    return str(dict(analytics_rules.REPORT_COLUMNS)[key])


def _labels() -> dict:
    return {
        "density": _("事件密度（件/平方公里）"), "overdue": _("逾期未办结案件"), "gap": _("覆盖缺口（网格）"),
        "disputes": _("矛盾纠纷登记"), "load_failed": _("看板数据加载失败："), "current": _("本期"),
        "previous": _("上期"), "change": _("变化"), "figure": _("指标"), "no_data": _("无数据"),
        "reported": _figure("reported"), "closed": _("结案"), "dispute_registered": _("矛盾纠纷登记"),
        "by_category": _("事件类别（本期上报，前 10）"), "by_community": _("各社区事件（本期）"),
        "trend": _("趋势"), "area": _("区域"), "unit_child": _("按下级区域"), "unit_grid": _("按网格"),
        "drill_hint": _("点击地图或表格中的区域下钻"), "km2": _("面积（平方公里）"),
        "single": _("单建"), "joint": _("联建"), "colon": punct("colon"), "lp": punct("lp"), "rp": punct("rp"),
        "level_township": _("街道/镇"), "level_community": _("社区/村"), "level_grid": _("网格"),
    }


def _metrics() -> list[dict]:
    """Rows of the comparison table: section of the summary, path inside its current/previous
    output, label, kind (count | rate | hours)."""
    def m(section, path, label, kind="count"):
        return {"section": section, "path": path, "label": label, "kind": kind}
    return [
        m("coverage", "figures.grids", _("网格数")), m("coverage", "figures.grids_with_worker", _("有网格员的网格")),
        m("coverage", "figures.grids_covered", _("已覆盖网格（网格员+党小组）")),
        m("coverage", "figures.workers", _("网格员")), m("coverage", "figures.groups", _("网格党小组")),
        m("coverage", "figures.groups_single", _("单建党小组")), m("coverage", "figures.groups_joint", _("联建党小组")),
        m("coverage", "figures.members", _("党员")),
        m("kpi", "counts.reported", _figure("reported")), m("kpi", "counts.filed", _figure("filed")),
        m("kpi", "counts.closed", _("结案")), m("kpi", "overdue", _("逾期未办结")),
        m("kpi", "rates.filing_rate", _("立案率"), "rate"),
        m("kpi", "rates.on_time_handling_rate", _("按期处置率"), "rate"),
        m("kpi", "rates.closing_rate", _("结案率"), "rate"),
        m("kpi", "rates.on_time_closing_rate", _("按期结案率"), "rate"),
        m("kpi", "rates.rework_rate", _("返工率"), "rate"),
        m("kpi", "time_to_close_hours.median", _("结案用时中位数（小时）"), "hours"),
        m("disputes", "counts.registered", _("矛盾纠纷登记")), m("disputes", "counts.resolved", _("化解")),
        m("disputes", "resolution_rate", _("化解率"), "rate"), m("disputes", "counts.overdue", _("逾期未化解")),
        m("inspections", "counts.inspections", _("检查次数")),
        m("inspections", "counts.notices_issued", _("下发整改通知书（份）")),
    ]


def _columns() -> list[dict]:
    """Columns of the per-area table: key (see static/js/dashboard.js) and label."""
    return [{"key": k, "label": v} for k, v in (
        ("name", _("区域")), ("grids", _("网格数")), ("gap", _("覆盖缺口（网格）")), ("workers", _("网格员")),
        ("groups", _("党小组（单建/联建）")), ("members", _("党员")), ("reported", _figure("reported")),
        ("overdue", _("逾期未办结")), ("closing_rate", _("结案率")), ("on_time_closing_rate", _("按期结案率")),
        ("disputes", _("矛盾纠纷")), ("resolution_rate", _("化解率")))]


@bp.route("/dashboard")
@login_required
def dashboard_page():
    """辖区统计看板: figures of the area and period with the previous period, choropleth map with a
    layer switcher and drill-down, tables and charts; ``?level=&code=&from=&to=`` (default: the
    user's area, the last 30 days). Grid workers: 403."""
    level, code, date_from, date_to = _args()
    level, code = dashboard.resolve(current_user, level, code)
    period = dashboard.periods(date_from, date_to)
    bounds = areas.scope_bounds(current_user)
    parts = None
    if bounds is not None:
        m = page_base_map(bounds)
        DashboardLayers({"urls": {"summary": url_for("api.get_dashboard"), "areas": url_for("api.get_dashboard_areas"),
                                  "xlsx": url_for("web.dashboard_xlsx"), "csv": url_for("web.dashboard_csv"),
                                  "print": url_for("web.dashboard_print")},
                         "state": {"level": level, "code": code, "from": period["from"], "to": period["to"]},
                         "labels": _labels(), "metrics": _metrics(), "columns": _columns(),
                         "ramps": analytics_rules.CHOROPLETH_RAMPS}).add_to(m)
        parts = render_parts(m)
    return render_template("analytics/dashboard.html", map=parts, period=period)


@bp.route("/dashboard/report.xlsx")
@login_required
def dashboard_xlsx():
    """The figures per township and community of the area and period as an Excel workbook
    (``?level=&code=&from=&to=`` as /dashboard)."""
    return xlsx_response(*dashboard.report_xlsx(current_user, *_args()))


@bp.route("/dashboard/report.csv")
@login_required
def dashboard_csv():
    """The same report as CSV: RFC 4180 UTF-8 for machines; ``?excel=1`` for Excel (byte-order
    mark, digit strings kept as text)."""
    data, name = dashboard.report_csv(current_user, *_args(), flag(request.args, "excel"))
    return download(data, name, CSV)


@bp.route("/dashboard/print")
@login_required
def dashboard_print():
    """The report and the key figures with the previous period, as a printable page (print CSS)."""
    level, code, date_from, date_to = _args()
    summary = dashboard.summary(current_user, level, code, date_from, date_to)
    report = dashboard.report(current_user, summary["level"], summary["code"], date_from, date_to)
    return render_template("analytics/dashboard_print.html", summary=summary, report=report, metrics=_metrics(),
                           rates=set(analytics_rules.RATES))

