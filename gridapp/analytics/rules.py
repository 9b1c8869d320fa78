"""The rules of the district review (辖区统计看板) — the one file to change them.

The definitions of the figures themselves (closing rate, on-time rate, …) are the docstrings of
:mod:`gridapp.analytics.kpi` (incidents) and :func:`gridapp.disputes.queries.stats` (disputes), each
computed by one query from the cases; here: how areas nest, the breakdowns offered, the period a
dashboard shows by default and at most, and the columns of the report.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

#: The level below each area level (the dashboard's drill-down).
CHILD = {"district": "township", "township": "community", "community": "grid", "grid": None}
#: Breakdowns of the figures: by sub-area, by category, by local day, week or month.
GROUPS = ("township", "community", "grid", "category", "day", "week", "month")
#: The period a dashboard shows by default, and the longest one asked for, in local days.
DEFAULT_DAYS = 30
MAX_DAYS = 3660
REPORT_COLUMNS = (
    ("level", _l("层级")), ("code", _l("区划代码")), ("name", _l("名称")),
    ("grids", _l("网格数")), ("grids_with_worker", _l("有网格员的网格")), ("grids_covered", _l("已覆盖网格")),
    ("gap", _l("覆盖缺口（网格）")), ("workers", _l("网格员")), ("groups", _l("网格党小组")),
    ("groups_single", _l("单建")), ("groups_joint", _l("联建")), ("members", _l("党员")),
    ("reported", lazy_pgettext("figure", "上报事件")), ("filed", lazy_pgettext("figure", "立案")),
    ("closed", _l("结案")), ("overdue", _l("逾期未办结")),
    ("closing_rate", _l("结案率")), ("on_time_closing_rate", _l("按期结案率")),
    ("disputes", _l("矛盾纠纷登记")), ("resolved", _l("化解")), ("resolution_rate", _l("化解率")),
)
RATES = ("closing_rate", "on_time_closing_rate", "resolution_rate")
#: The dashboard map's colour ramps by metric, lightest (lowest class) first: one colour per class
#: of the metric's breaks (ColorBrewer sequential schemes Oranges, Reds, Blues, Purples).
CHOROPLETH_RAMPS = {"density": ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"),
                    "overdue": ("#fff5f0", "#fcbba1", "#fb6a4a", "#cb181d", "#67000d"),
                    "gap": ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"),
                    "disputes": ("#fcfbfd", "#dadaeb", "#9e9ac8", "#6a51a3", "#3f007d")}
