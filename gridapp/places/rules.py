"""The rules of the places registry (场所/单位) — the one file to change them.

Place types with their inspection checklists (:data:`DEFAULT_TYPES`, the editable list's first
content), a place's statuses and risk levels with their names, and the columns of a place table
import (:data:`COLUMNS`, :data:`REQUIRED`). The database's CHECK constraints read the values here.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

PLACE_STATUSES = ("operating", "suspended", "banned")
RISK_LEVELS = ("low", "medium", "high")
# The editable list's initial content (issue #10; the bureaus' reports name these kinds of places).
DEFAULT_TYPES = (
    ("wangba", "网吧", ["营业执照、网络文化经营许可证齐全", "未接纳未成年人", "消防通道畅通"]),
    ("shudian", "书店", ["无非法出版物", "经营许可证在有效期内"]),
    ("xiaoyuan", "学校周边", ["周边200米内无网吧、娱乐场所", "无流动摊贩占道"]),
    ("jingqu", "景区", ["安全警示标识齐全", "应急预案与演练记录"]),
    ("shichang", "市场", ["消防器材完好", "经营户证照公示"]),
    ("meichang", "煤场", ["煤堆全覆盖", "按时洒水降尘", "出场车辆冲洗"]),
    ("huishou", "再生资源回收站", ["无露天焚烧", "货物堆放整齐", "经营手续齐全"]),
    ("chaijie", "报废汽车拆解", ["制冷剂规范回收", "废油废液分类分罐存储", "地面防渗"]),
    ("tuzai", "屠宰场", ["污水处理设施运行", "定点屠宰资格有效"]),
    ("chuzuwu", "出租屋", ["租住人员登记", "无群租", "消防设施"]),
    ("qiye", "企业", ["安全生产责任制落实", "环保设施运行"]),
    ("qita", "其他", []),
)
STATUS_NAMES = {"operating": _l("正常经营"), "suspended": _l("停业整顿"), "banned": _l("已取缔")}
#: A place's colour on the places map by status (the map's legend reads them).
STATUS_COLOURS = {"operating": "#2e7d32", "suspended": "#ef6c00", "banned": "#c62828"}
RISK_NAMES = {"low": _l("低"), "medium": _l("中"), "high": _l("高")}
COLUMNS = {"名称": "name", "类型": "type", "经营者": "operator", "许可证号": "licence_no", "经度": "lon",
           "纬度": "lat", "风险等级": "risk_level", "状态": "status"}
REQUIRED = ("name", "type", "lon", "lat")


def status_styles() -> dict:
    """The places map's classes, as its script receives them: {status: {label, color}} in
    :data:`PLACE_STATUSES` order (labels translated)."""
    return {s: {"label": str(STATUS_NAMES[s]), "color": STATUS_COLOURS[s]} for s in PLACE_STATUSES}
