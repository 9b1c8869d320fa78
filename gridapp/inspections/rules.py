"""The rules of inspections (检查) and rectification notices (整改通知书) — the one file to change them.

* **The notice's table** (:data:`TRANSITIONS`, run by :func:`gridapp.core.casework.perform`):
  re-inspect an issued notice (passed → 整改合格, failed → 复查不合格); escalate a failed or overdue
  one with a measure (:data:`MEASURES`: fine 罚款, suspend 停业整顿, ban 取缔), which takes effect when
  an office role ranked above the requester approves it (suspend/ban also change the place's status).
  "in scope" (:data:`IN_SCOPE`): any role with the notice's place in its scope.
* **Deadline**: a local date; the notice is due at the end of that day (23:59:59 in the local zone);
  *overdue* — still issued after it (the table's ``overdue`` state). *Rectified on time*: passed at a
  re-inspection no later than the deadline.
* **Numbers**: <district code>-整改〔year〕NNNN号, a sequence per district and year
  (:data:`NUMBER_PREFIX`, :data:`NUMBER_FORMAT`).
* **Checklist answers** (:data:`CHECK_ANSWERS`): every item of the place type's checklist is
  answered — pass 合格, fail 不合格 or not applicable 不适用; nothing is answered by default (issue 24).
  Findings (发现的问题) are required exactly when an item failed: a failed item without findings,
  and findings (or a notice) while every item passed, contradict each other and are refused. A
  type with no checklist items records findings freely. API clients may still send ``true`` /
  ``false`` for pass / fail (:data:`LEGACY_ANSWERS`).
* The inspection's kind (:data:`KINDS`) is chosen, not assumed.
* Limits of an inspection's team (:data:`MEMBERS_MAX`) and texts (:data:`TEXT_MAX`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.casework import Notify, Transition
from ..core.roles import OFFICE

NOTICE_STATES = ("issued", "passed", "failed", "escalation_pending", "escalated")
MEASURES = ("fine", "suspend", "ban")
#: A notice's number: the district's prefix for the year, then the sequence of the year.
NUMBER_PREFIX = "{district}-整改〔{year}〕"
NUMBER_FORMAT = "{prefix}{seq:04d}号"
NOTICE_STATE_NAMES = {"issued": _l("待整改"), "passed": _l("整改合格"), "failed": _l("复查不合格"),
                      "escalation_pending": _l("升级处理待审批"), "escalated": _l("已升级处理")}
MEASURE_NAMES = {"fine": _l("罚款"), "suspend": _l("停业整顿"), "ban": _l("取缔")}
KINDS = ("planned", "ad_hoc")
KIND_NAMES = {"planned": _l("计划检查"), "ad_hoc": _l("临时检查")}
CHECK_ANSWERS = ("pass", "fail", "na")
CHECK_ANSWER_NAMES = {"pass": _l("合格"), "fail": _l("不合格"), "na": _l("不适用")}
#: What a checklist answer sent as a JSON boolean means (the API's first form, kept for clients).
LEGACY_ANSWERS = {True: "pass", False: "fail"}
MEMBERS_MAX = 50
TEXT_MAX = 2000

IN_SCOPE = ("worker", "secretary", "township", "district", "admin")
STATE_NAMES = {**NOTICE_STATE_NAMES, "overdue": _l("已逾期待整改")}
#: How an entry of a place's timeline is named.
TIMELINE_LABELS = {"registered": _l("登记"), "inspected": _l("检查"), "notice_issued": _l("下发整改通知书"),
                   "reinspect": _l("复查"), "escalate": _l("申请升级处理"), "approve": _l("审批"),
                   "moved": _l("改属网格")}

#: Whom issuing a notice tells: the users answerable for the place (its grid's workers, its
#: community's secretaries); a failed re-inspection and an approved escalation tell them too.
ISSUE_NOTIFY = (Notify("assigned", "responsible"),)

TRANSITIONS: tuple[Transition, ...] = (
    Transition("reinspect", ("issued", "overdue"), "passed", IN_SCOPE, _l("复查合格"), variant="passed"),
    Transition("reinspect", ("issued", "overdue"), "failed", IN_SCOPE, _l("复查不合格"), variant="failed",
               notify=(Notify("returned", "responsible"),)),
    Transition("escalate", ("failed", "overdue"), "escalated", IN_SCOPE, _l("升级处理"), approval=True,
               needs="measure", notify=(Notify("escalated", "responsible"),)),
    Transition("approve", ("escalation_pending",), None, OFFICE, _l("审批")),
)
