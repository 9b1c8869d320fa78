"""The rules of a dispute (矛盾纠纷排查化解) — the one file to change them.

* **Routing by difficulty** (domain.md "Disputes", :data:`HANDLING_ROLE`): 简单 ``simple`` → the
  community or village (secretary); 复杂 ``complex`` → the township; 疑难 ``hard`` → the district,
  with a named responsible leader (``leader``). The *handler* of a dispute is a user in scope whose
  role ranks at least the handling level's (:data:`gridapp.core.scope.RANK`: secretary 2, township
  3, district 4; admin always). Escalation/de-escalation change the difficulty (and so the handler)
  with a reason.
* **Parties in full** (:func:`may_reveal_parties`): admin and secretaries, and the handler at the
  dispute's current level; every view logged.
* **The table** (:data:`TRANSITIONS`), run by :func:`gridapp.core.casework.perform`; ``extend``
  is a side action decided by the roles of the ``approve`` row ranked above the requester.
* **Deadline**: :data:`DEADLINE_DAYS` calendar days from registration (``registered_at`` + 30 ×
  24 h, UTC; the district report's target "98% closed within 30 days"); an approved 延期 adds the
  requested days (at most :data:`EXTEND_MAX_DAYS`). *Overdue*: open (:data:`OPEN_STATES`) and past
  the deadline.
* **Values**: states, difficulties, sources, risk levels, referral channels, performance of an
  agreement and party kinds, with their names (the database's CHECK constraints read them here).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..accounts.rules import FULL_VIEW_ROLES
from ..core.casework import Notify, Transition
from ..core.roles import OFFICE

DISPUTE_STATES = ("registered", "mediating", "resolved", "failed", "referred")
DIFFICULTIES = ("simple", "complex", "hard")  # 简单, 复杂, 疑难
SOURCES = ("screening", "walk_in", "worker", "transferred")  # 排查, 来访, 网格员上报, 转办
RISK_LEVELS = ("general", "major", "grave")  # 一般, 较大, 重大
CHANNELS = ("court", "police", "petition")  # 转诉讼 (诉调对接), 转公安 (警调), 转信访 (访调)
PERFORMANCE = ("pending", "performing", "performed", "breached")  # 待履行, 履行中, 已履行, 未履行
PARTY_KINDS = ("person", "organisation")
SATISFACTION_SCORES = (1, 5)  # 回访满意度: lowest and highest score
#: Who decides a request for extension (ranked above the requester, never the requester).
APPROVERS = OFFICE

DEADLINE_DAYS = 30  # domain.md / district report: "98% closed within 30 days"
EXTEND_MAX_DAYS = 90
SUMMARY_MAX = 2000
TEXT_MAX = 10000
PARTIES_MAX = 20
OPEN_STATES = ("registered", "mediating")
CLOSED_OUT = ("resolved", "failed", "referred")
HANDLING_ROLE = {"simple": "secretary", "complex": "township", "hard": "district"}
#: Whom a registration tells: the users of the handling level in scope (escalate and de-escalate
#: tell the new level: ``notify=`` of their rows).
REGISTER_NOTIFY = (Notify("routed", "handlers"),)


def may_reveal_parties(role: str, difficulty: str) -> bool:
    """Who may see a dispute's parties in full (PIPL; every view is logged): the roles allowed
    everywhere (:data:`gridapp.accounts.rules.FULL_VIEW_ROLES`: admin, secretary) and the handler
    at the dispute's current level (:data:`HANDLING_ROLE`: township for 复杂, district for 疑难)."""
    return role in FULL_VIEW_ROLES or role == HANDLING_ROLE.get(difficulty)
ALL_IN_SCOPE = ("worker", "secretary", "township", "district", "admin")

STATE_NAMES = {"registered": _l("已登记"), "mediating": _l("调解中"), "resolved": _l("调解成功"),
               "failed": _l("调解失败"), "referred": _l("已移交")}
DIFFICULTY_NAMES = {"simple": _l("简单（社区/村）"), "complex": _l("复杂（街道/镇）"), "hard": _l("疑难（区级）")}
SOURCE_NAMES = {"screening": _l("排查"), "walk_in": _l("来访"), "worker": _l("网格员上报"), "transferred": _l("转办")}
RISK_NAMES = {"general": _l("一般"), "major": _l("较大"), "grave": _l("重大")}
#: A dispute's fill colour on the map by risk level (an open one — :data:`OPEN_STATES` — is drawn
#: with a dashed outline, one liable to escalate with a thick outline); the map's legend reads them.
RISK_COLOURS = {"general": "#2b8a3e", "major": "#e67700", "grave": "#c92a2a"}
CHANNEL_NAMES = {"court": _l("转诉讼（诉调对接）"), "police": _l("转公安（警调）"), "petition": _l("转信访（访调）")}
PERFORMANCE_NAMES = {"pending": _l("待履行"), "performing": _l("履行中"), "performed": _l("已履行"),
                     "breached": _l("未履行")}
KIND_NAMES = {"handler": _l("承办层级（按难度）及以上，在管辖范围内"), "worker": _l("网格员（本网格）"),
              "secretary": _l("社区书记（本社区）"), "township": _l("街道/镇（本街道）"),
              "district": _l("区级（本区）"), "admin": _l("系统管理员")}

TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", ("registered",), "mediating", ("handler",), _l("受理调解")),
    Transition("session", ("mediating",), None, ("handler",), _l("记录调解"), needs="session"),
    Transition("succeed", ("mediating",), "resolved", ("handler",), _l("调解成功"), needs="agreement"),
    Transition("fail", ("mediating",), "failed", ("handler",), _l("调解失败"), needs="note"),
    Transition("refer", ("mediating", "failed"), "referred", ("handler",), _l("移交（诉讼/公安/信访）"),
               needs="channel"),
    Transition("escalate", OPEN_STATES, None, ("handler",), _l("升级"), needs="difficulty",
               notify=(Notify("routed", "handlers"),)),
    Transition("deescalate", OPEN_STATES, None, ("handler",), _l("降级"), needs="difficulty",
               notify=(Notify("routed", "handlers"),)),
    Transition("extend", OPEN_STATES, None, ("handler",), _l("延期"), approval=True, needs="days"),
    Transition("perform", ("resolved",), None, ("handler",), _l("更新履行情况"), needs="performance"),
    Transition("visit", CLOSED_OUT, None, ("worker", "handler"), _l("回访"), needs="satisfaction"),
    Transition("link", OPEN_STATES + CLOSED_OUT, None, ALL_IN_SCOPE, _l("关联事件"), needs="incident"),
    Transition("approve", OPEN_STATES, None, APPROVERS, _l("审批")),
)


def risk_styles() -> dict:
    """The map's classes of disputes, as its script receives them: {risk level: {label, fillColor}}
    in :data:`RISK_LEVELS` order (labels translated)."""
    return {level: {"label": str(RISK_NAMES[level]), "fillColor": RISK_COLOURS[level]} for level in RISK_LEVELS}

#: How a history entry's action is named on the timeline.
ACTION_LABELS = {"register": _l("登记"), "moved": _l("改属网格"), **{t.action: t.label for t in TRANSITIONS}}
