"""The rules of an incident's closed loop (事件闭环) — the one file to change them.

* **The table** (:data:`TRANSITIONS`): who may take which action from which state; run by
  :func:`gridapp.core.casework.perform` (checks in one fixed order). The README's table is
  :func:`gridapp.core.casework.permission_table_markdown` of it (a test compares them).
* **Who may approve a side action** (return, void, extend, defer — ``approval=True``): the roles of
  the ``approve`` row (:data:`APPROVERS`), ranked above the requester (ranks:
  :data:`gridapp.core.scope.RANK`; an assignee or reporter requests with rank 1), never the
  requester.
* **Deadlines**: fixed at 立案 (file) as filing time + the category's deadline in calendar hours
  (nights, weekends and holidays count; no working-day calendar). A category's deadline and level
  (:data:`CATEGORY_LEVELS`) are data: the admin sets them per category on 处置规则
  (``/admin/categories``, table ``category_rules``); a category without a rule gets
  :data:`DEFAULT_DEADLINE_HOURS`. An approved 延期 (extend) adds the requested hours (at most
  :data:`EXTEND_MAX_HOURS`).
* **Who is told** (``notify=``, :mod:`gridapp.notifications`): 派遣 the assignee; 返工 (a failed
  verification) the assignee; an approved 回退 and 恢复办理 the community's secretaries; a side
  action's request its approvers and a decision its requester (the core's rule).
* **Flags** at ``now`` (UTC; days in the local zone): *overdue* — the state is one of
  :data:`DEADLINE_STATES` and ``now`` is after the deadline; *due_soon* — not overdue and the
  deadline within :data:`DUE_SOON`; *due_today* — not overdue and the deadline on today's local date.

Actor kinds (the ``roles`` of a row): ``worker`` — a grid worker assigned to the case's grid;
``secretary`` — the secretary of its community; ``township`` — a township user whose township
contains it; ``district`` — a district user of its district; ``admin``; ``assignee`` — the handler
the case is dispatched to, or a member of its department; ``reporter`` — who reported it.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from ..core.casework import Notify, Transition
from ..core.roles import OFFICE

#: Levels of a category (事件等级), in ascending order (domain.md).
CATEGORY_LEVELS = ("简易", "一般", "突出", "重大")
#: Deadline of a category without a rule, in calendar hours from filing (a product default, not a norm).
DEFAULT_DEADLINE_HOURS = 72
#: The largest deadline a category rule may set, in hours (one year).
MAX_DEADLINE_HOURS = 8760
#: The most hours one approved extension (延期) may add.
EXTEND_MAX_HOURS = 720
#: "Due soon": the deadline is within this window.
DUE_SOON = timedelta(hours=24)
#: Longest free-text note of an action, in characters.
NOTE_MAX = 2000
#: States in which the deadline runs (overdue counts only here).
DEADLINE_STATES = ("filed", "dispatched", "in_progress", "deferred")
#: The longest description of a report, in characters (a report form's text; imports alike).
DESCRIPTION_MAX = 2000
#: The largest GPS accuracy (metres) a report may carry (issue 19); the phone asks to confirm a fix
#: worse than the setting GPS_ACCURACY_WARN_M (default 50 m) before it queues the report.
ACCURACY_MAX_M = 100_000
#: States of an open case (not closed, evaluated, rejected, voided or merged).
OPEN_STATES = ("reported", "accepted", "filed", "dispatched", "in_progress", "handled", "deferred")
#: The incident map's heat layer: relative density (0–1) → colour, lowest first (Leaflet.heat's
#: gradient; the map's legend draws the same ramp).
HEAT_GRADIENT = {"0.4": "#2c7bb6", "0.6": "#00a6ca", "0.7": "#90eb9d", "0.8": "#f9d057", "1.0": "#d7191c"}
#: Who decides a side action's request (ranked above the requester, never the requester).
APPROVERS = OFFICE

STATE_NAMES = {"reported": _l("已上报"), "accepted": _l("已受理"), "filed": _l("已立案"),
               "rejected": _l("不予立案"), "dispatched": _l("已派遣"), "in_progress": _l("处置中"),
               "handled": _l("已反馈待核查"), "closed": _l("已结案"), "evaluated": _l("已评价"),
               "voided": _l("已作废"), "deferred": _l("缓办"), "merged": _l("已合并（重复件）")}
KIND_NAMES = {"worker": _l("网格员（本网格）"), "secretary": _l("社区书记（本社区）"),
              "township": _l("街道/镇（本街道）"), "district": _l("区级（本区）"),
              "admin": _l("系统管理员"), "assignee": _l("承办人（被派遣的人员或部门成员）"),
              "reporter": _l("上报人")}

TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", ("reported",), "accepted", OFFICE, _l("受理")),
    Transition("reject", ("reported", "accepted"), "rejected", OFFICE, _l("不予立案"), needs="note"),
    Transition("file", ("accepted",), "filed", OFFICE, _l("立案")),
    Transition("dispatch", ("filed",), "dispatched", OFFICE, _l("派遣"), needs="assignee",
               notify=(Notify("assigned", "assignee"),)),
    Transition("start", ("dispatched",), "in_progress", ("assignee",), _l("开始处置")),
    Transition("handle", ("in_progress",), "handled", ("assignee",), _l("处置反馈"), needs="note"),
    Transition("verify", ("handled",), "closed", ("worker", "secretary"), _l("核查通过（结案）"),
               variant="passed"),
    Transition("verify", ("handled",), "dispatched", ("worker", "secretary"), _l("核查不通过（返工）"),
               variant="failed", needs="note", notify=(Notify("returned", "assignee"),)),
    Transition("evaluate", ("closed",), "evaluated", ("reporter",) + OFFICE, _l("评价"),
               needs="rating"),
    Transition("return", ("dispatched", "in_progress"), "filed", ("assignee", "secretary"),
               _l("回退"), approval=True, needs="note", notify=(Notify("returned", "office"),)),
    Transition("void", ("reported", "accepted", "filed"), "voided", ("secretary", "township", "district"),
               _l("作废"), approval=True, needs="note"),
    Transition("extend", ("dispatched", "in_progress"), None, ("assignee", "secretary"), _l("延期"),
               approval=True, needs="hours"),
    Transition("defer", ("filed", "dispatched", "in_progress"), "deferred",
               ("assignee", "secretary", "township"), _l("缓办"), approval=True, needs="note"),
    Transition("resume", ("deferred",), "filed", OFFICE, _l("恢复办理"), notify=(Notify("returned", "office"),)),
    Transition("merge", ("reported", "accepted"), "merged", OFFICE, _l("合并为重复件"), needs="into"),
    Transition("approve", OPEN_STATES, None, APPROVERS, _l("审批")),
)
ACTIONS = tuple(dict.fromkeys(t.action for t in TRANSITIONS))
#: How a history entry's action is named on the timeline (a failed verification: "verify_failed").
ACTION_LABELS = {"report": _l("上报"), "moved": _l("改属网格"), **{
    t.action if t.variant in (None, "passed") else f"{t.action}_{t.variant}": t.label for t in TRANSITIONS}}
SIDE_ACTIONS = tuple(t.action for t in TRANSITIONS if t.approval)
