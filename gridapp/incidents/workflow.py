"""The closed loop of an incident (事件闭环): ONE table of transitions, enforced here.

Every action is one transaction guarded by the case's ``version`` (optimistic lock): the UPDATE
is ``... WHERE id = :id AND version = :read_version``; a caller that sends an older ``version``,
or loses a race to another writer, gets :class:`~gridapp.errors.Conflict` (409) and nothing is
written. Each action appends one row to the history (:class:`IncidentEvent`).

Actor kinds (who may act on a case, with scope):

* ``worker`` — a grid worker assigned to the case's grid;
* ``secretary`` — the secretary of the case's community;
* ``township`` — a township user whose township contains the case's community;
* ``district`` — a district user of the case's district;
* ``admin`` — an administrator (everywhere);
* ``assignee`` — the handler the case is dispatched to, or a member of its department;
* ``reporter`` — the user who reported the case.

Side actions (``approval=True``: return, void, extend, defer) only record a request; it takes
effect when someone of a higher rank (:data:`RANK`) in scope, other than the requester, takes
``approve`` with ``{"approved": true}`` (``false`` refuses it). At most one request per case is
pending at a time.

Deadlines: fixed at 立案 (file) as filing time + the category's ``deadline_hours`` in calendar
hours (nights, weekends and holidays count; no working-day calendar), or
:data:`DEFAULT_DEADLINE_HOURS` when the category has no rule. An approved 延期 (extend) moves it
by the requested hours. Flags (``now`` in UTC, shown in Asia/Shanghai): *overdue* — the case is
filed, dispatched, in progress or deferred and ``now`` is after the deadline; *due_soon* — not
overdue and the deadline is within 24 hours; *due_today* — not overdue and the deadline falls on
today's calendar date in Asia/Shanghai.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from ..core.scope import incident_filter, worker_grid_codes
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..extensions import db
from ..models import (
    AdminArea,
    CategoryRule,
    Department,
    DepartmentMember,
    Incident,
    IncidentApproval,
    IncidentEvent,
    Photo,
    User,
)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_DEADLINE_HOURS = 72  # product default for a category without a rule (not a norm): edit the rule
DUE_SOON = timedelta(hours=24)
EXTEND_MAX_HOURS = 720
NOTE_MAX = 2000

OFFICE = ("secretary", "township", "district", "admin")
RANK = {"worker": 1, "assignee": 1, "reporter": 1, "secretary": 2, "township": 3, "district": 4,
        "admin": 5}
DEADLINE_STATES = ("filed", "dispatched", "in_progress", "deferred")
OPEN_STATES = ("reported", "accepted", "filed", "dispatched", "in_progress", "handled", "deferred")

STATE_NAMES = {"reported": _l("已上报"), "accepted": _l("已受理"), "filed": _l("已立案"),
               "rejected": _l("不予立案"), "dispatched": _l("已派遣"), "in_progress": _l("处置中"),
               "handled": _l("已反馈待核查"), "closed": _l("已结案"), "evaluated": _l("已评价"),
               "voided": _l("已作废"), "deferred": _l("缓办"), "merged": _l("已合并（重复件）")}
KIND_NAMES = {"worker": _l("网格员（本网格）"), "secretary": _l("社区书记（本社区）"),
              "township": _l("街道/镇（本街道）"), "district": _l("区级（本区）"),
              "admin": _l("系统管理员"), "assignee": _l("承办人（被派遣的人员或部门成员）"),
              "reporter": _l("上报人")}


@dataclass(frozen=True)
class Transition:
    """One row of the table: ``action`` (with ``variant`` for verify pass/fail) moves a case
    from one of ``sources`` to ``target`` (None: the state does not change) when the actor is
    one of ``roles`` (actor kinds, see module docstring). ``approval``: a side action that takes
    effect only when approved by the next level. ``needs``: required parameter."""

    action: str
    sources: tuple[str, ...]
    target: str | None
    roles: tuple[str, ...]
    label: str
    approval: bool = False
    variant: str | None = None
    needs: str | None = None


TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", ("reported",), "accepted", OFFICE, _l("受理")),
    Transition("reject", ("reported", "accepted"), "rejected", OFFICE, _l("不予立案"), needs="note"),
    Transition("file", ("accepted",), "filed", OFFICE, _l("立案")),
    Transition("dispatch", ("filed",), "dispatched", OFFICE, _l("派遣"), needs="assignee"),
    Transition("start", ("dispatched",), "in_progress", ("assignee",), _l("开始处置")),
    Transition("handle", ("in_progress",), "handled", ("assignee",), _l("处置反馈"), needs="note"),
    Transition("verify", ("handled",), "closed", ("worker", "secretary"), _l("核查通过（结案）"),
               variant="passed"),
    Transition("verify", ("handled",), "dispatched", ("worker", "secretary"), _l("核查不通过（返工）"),
               variant="failed", needs="note"),
    Transition("evaluate", ("closed",), "evaluated", ("reporter",) + OFFICE, _l("评价"),
               needs="rating"),
    Transition("return", ("dispatched", "in_progress"), "filed", ("assignee", "secretary"),
               _l("回退"), approval=True, needs="note"),
    Transition("void", ("reported", "accepted", "filed"), "voided", ("secretary", "township", "district"),
               _l("作废"), approval=True, needs="note"),
    Transition("extend", ("dispatched", "in_progress"), None, ("assignee", "secretary"), _l("延期"),
               approval=True, needs="hours"),
    Transition("defer", ("filed", "dispatched", "in_progress"), "deferred",
               ("assignee", "secretary", "township"), _l("缓办"), approval=True, needs="note"),
    Transition("resume", ("deferred",), "filed", OFFICE, _l("恢复办理")),
    Transition("merge", ("reported", "accepted"), "merged", OFFICE, _l("合并为重复件"), needs="into"),
    Transition("approve", OPEN_STATES, None, OFFICE, _l("审批")),
)
ACTIONS = tuple(dict.fromkeys(t.action for t in TRANSITIONS))
SIDE_ACTIONS = tuple(t.action for t in TRANSITIONS if t.approval)


def utcnow() -> datetime:
    """The current time, aware, UTC."""
    return datetime.now(UTC)


# --- who is who ------------------------------------------------------------------------------

def scope_kinds(user: User, case) -> set[str]:
    """The role-in-scope actor kind (admin, district, township, secretary, worker) ``user``
    holds for ``case`` — any row with ``district_code``, ``community_code`` and ``grid_code``
    (an incident, a dispute) — as a set of at most one element."""
    role, scope = user.role, user.scope_code
    if role == "admin":
        return {"admin"}
    if role == "district" and case.district_code == scope:
        return {"district"}
    if role == "township" and db.session.scalar(
            select(AdminArea.parent_code).where(AdminArea.code == case.community_code)) == scope:
        return {"township"}
    if role == "secretary" and case.community_code == scope:
        return {"secretary"}
    if role == "worker" and case.grid_code and case.grid_code in worker_grid_codes(user):
        return {"worker"}
    return set()


def actor_kinds(user: User, incident: Incident) -> set[str]:
    """The actor kinds ``user`` holds for ``incident`` (role in scope, assignee, reporter)."""
    kinds = scope_kinds(user, incident)
    if incident.handler_id == user.id or (incident.department_code and db.session.scalar(
            select(DepartmentMember.user_id).where(DepartmentMember.user_id == user.id,
                                                   DepartmentMember.department_code == incident.department_code))):
        kinds.add("assignee")
    if incident.reporter_id == user.id:
        kinds.add("reporter")
    return kinds


def assigned_filter(user: User):
    """SQL condition on Incident: dispatched to the user or to one of their departments."""
    departments = select(DepartmentMember.department_code).where(DepartmentMember.user_id == user.id)
    return or_(Incident.handler_id == user.id, Incident.department_code.in_(departments))


def visible_filter(user: User):
    """SQL condition on Incident: in the user's scope, assigned to them, or reported by them."""
    return or_(incident_filter(user), assigned_filter(user), Incident.reporter_id == user.id)


def get_case(user: User, incident_id) -> Incident:
    """The case ``incident_id`` if the user may see it. Raises NotFound (404) otherwise (a case
    outside the scope is not revealed)."""
    try:
        incident_id = int(incident_id)
    except (TypeError, ValueError):
        raise NotFound(_("事件不存在"), code="incident_not_found") from None
    incident = db.session.scalar(select(Incident).where(Incident.id == incident_id, visible_filter(user)))
    if incident is None:
        raise NotFound(_("事件 %(id)s 不存在或不在您的管辖范围内", id=incident_id), code="incident_not_found")
    return incident


def pending_approval(incident: Incident) -> IncidentApproval | None:
    """The side-action request of the case awaiting approval, if any."""
    return db.session.scalar(select(IncidentApproval).where(IncidentApproval.incident_id == incident.id,
                                                            IncidentApproval.decision.is_(None)))


def table_rows(action: str, table: tuple[Transition, ...]) -> list[Transition]:
    """The rows of a transition ``table`` for ``action``. Raises NotFound ``unknown_action``
    naming the table's actions."""
    rows = [t for t in table if t.action == action]
    if not rows:
        raise NotFound(_("未知的操作 %(action)s；可用：%(all)s", action=action,
                         all=", ".join(dict.fromkeys(t.action for t in table))), code="unknown_action")
    return rows


def _rows(action: str) -> list[Transition]:
    return table_rows(action, TRANSITIONS)


def allowed_rows(table: tuple[Transition, ...], user: User, state: str, kinds: set[str],
                 pending, approve_sources: bool = False) -> list[Transition]:
    """The rows of ``table`` the user (holding actor ``kinds``) may take now from ``state``:
    their kind is among the row's roles and, for a side action, nothing is pending; ``approve``
    when a request by someone else of a lower rank is pending (and, with ``approve_sources``,
    ``state`` is among the approve row's sources)."""
    out = []
    for t in table:
        if t.action == "approve":
            if pending and pending.requested_by != user.id and _office_rank(kinds) > pending.requested_rank \
                    and (not approve_sources or state in t.sources):
                out.append(t)
        elif state in t.sources and kinds & set(t.roles) and not (t.approval and pending):
            out.append(t)
    return out


def allowed_actions(user: User, incident: Incident) -> list[Transition]:
    """The table rows the user may take now on this case (for the case page and the API)."""
    return allowed_rows(TRANSITIONS, user, incident.status, actor_kinds(user, incident), pending_approval(incident))


def _office_rank(kinds: set[str]) -> int:
    return max((RANK[k] for k in kinds if k in OFFICE), default=0)


# --- parameters ------------------------------------------------------------------------------

def _note(params: dict, required: bool) -> str | None:
    note = params.get("note")
    if note is not None and not isinstance(note, str):
        raise BadInput(_("说明 (note) 必须是文字"), code="invalid_note")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise BadInput(_("说明 (note) 不能超过 %(max)s 个字", max=NOTE_MAX), code="invalid_note")
    if required and not note:
        raise BadInput(_("此操作必须填写说明或理由 (note)"), code="note_required")
    return note or None


def _int(params: dict, key: str, low: int, high: int, message: str) -> int:
    value = params.get(key)
    if isinstance(value, bool):
        value = None
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise BadInput(message, code=f"invalid_{key}") from None
    if not low <= value <= high:
        raise BadInput(message, code=f"invalid_{key}")
    return value


def _bool(params: dict, key: str, message: str) -> bool:
    value = params.get(key)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        value = value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise BadInput(message, code=f"invalid_{key}")
    return value


def _assignee(incident: Incident, params: dict) -> dict:
    """Validate a dispatch target: ``department_code`` and/or ``handler`` (user id or username);
    default: the category rule's department."""
    dept_code = params.get("department_code") or None
    handler_ref = params.get("handler") or params.get("handler_id") or None
    if dept_code is None and handler_ref is None:
        rule = db.session.get(CategoryRule, incident.category_code)
        dept_code = rule.department_code if rule else None
    if dept_code is None and handler_ref is None:
        raise BadInput(_("派遣需要指定专业部门 (department_code) 或处置人 (handler)"), code="assignee_required")
    data = {}
    if dept_code is not None:
        dept = db.session.get(Department, str(dept_code))
        if dept is None or dept.district_code != incident.district_code:
            raise BadInput(_("专业部门 %(code)s 不存在", code=repr(dept_code)), code="invalid_department")
        data["department_code"] = dept.code
    if handler_ref is not None:
        ref = str(handler_ref)
        cond = User.id == int(ref) if ref.isdigit() else User.username == ref
        handler = db.session.scalar(select(User).where(cond, User.active.is_(True)))
        if handler is None:
            raise BadInput(_("处置人 %(ref)s 不存在", ref=repr(ref)), code="invalid_handler")
        data["handler_id"] = handler.id
    return data


def _merge_target(incident: Incident, params: dict) -> int:
    """The open case a duplicate report is merged into (``into``: its id): same district, not
    itself, not merged or closed. Raises BadInput."""
    target_id = _int(params, "into", 1, 2**31 - 1, _("合并目标 (into) 必须是案件编号"))
    target = db.session.get(Incident, target_id)
    if target is None or target.id == incident.id or target.district_code != incident.district_code \
            or target.status not in OPEN_STATES:
        raise BadInput(_("案件 %(id)s 不能作为合并目标（须为本区其他未结案件）", id=target_id), code="invalid_into")
    return target.id


def _params(t: Transition, incident: Incident, params: dict) -> tuple[str | None, dict]:
    note = _note(params, t.needs == "note")
    data: dict = {}
    if t.needs == "assignee":
        data = _assignee(incident, params)
    elif t.needs == "rating":
        data["rating"] = _int(params, "rating", 1, 5, _("评价 (rating) 必须是 1 到 5 的整数"))
    elif t.needs == "into":
        data["into"] = _merge_target(incident, params)
    elif t.needs == "hours":
        data["hours"] = _int(params, "hours", 1, EXTEND_MAX_HOURS,
                             _("延期小时数 (hours) 必须是 1 到 %(max)s 的整数", max=EXTEND_MAX_HOURS))
    if t.action == "verify":
        data["passed"] = t.variant == "passed"
    return note, data


def check_attachment_refs(items) -> list:
    """The form of attachment references (None: none): a list of strings of at most 200
    characters; returns the list. Raises BadInput ``invalid_attachments``."""
    items = items or []
    if not isinstance(items, list) or not all(isinstance(a, str) and len(a) <= 200 for a in items):
        raise BadInput(_("附件 (attachments) 必须是文件引用的列表"), code="invalid_attachments")
    return items


def check_attachments(items) -> list:
    """Validate attachment references: a list of ``photo:<sha256>`` of uploaded photos
    (see :mod:`gridapp.incidents.photos`). Raises BadInput ``invalid_attachments``."""
    items = check_attachment_refs(items)
    for ref in items:
        if not ref.startswith("photo:") or db.session.get(Photo, ref[6:]) is None:
            raise BadInput(_("附件 %(ref)s 不是已上传的照片", ref=ref), code="invalid_attachments")
    return items


# --- effects ---------------------------------------------------------------------------------

def _deadline_hours(incident: Incident) -> int:
    rule = db.session.get(CategoryRule, incident.category_code)
    return rule.deadline_hours if rule else DEFAULT_DEADLINE_HOURS


def _apply(incident: Incident, action: str, target: str | None, data: dict, now: datetime) -> None:
    """Change the case's columns for one effective action (state already checked)."""
    if action == "file":
        data["deadline_hours"] = _deadline_hours(incident)
        incident.filed_at = now
        incident.deadline_at = now + timedelta(hours=data["deadline_hours"])
        data["deadline_at"] = incident.deadline_at.isoformat()
    elif action == "dispatch":
        incident.department_code = data.get("department_code")
        incident.handler_id = data.get("handler_id")
    elif action == "handle":
        incident.handled_at = now
    elif action == "verify" and data["passed"]:
        incident.closed_at = now
    elif action == "evaluate":
        incident.rating = data["rating"]
    elif action == "return":
        incident.department_code = incident.handler_id = incident.handled_at = None
    elif action == "merge":
        incident.duplicate_of_id = data["into"]
    elif action == "extend":
        incident.deadline_at = incident.deadline_at + timedelta(hours=data["hours"])
        data["deadline_at"] = incident.deadline_at.isoformat()
    if target is not None:
        incident.status = target


def _record(incident: Incident, user: User, action: str, from_state: str, note, data, attachments,
            now: datetime) -> None:
    db.session.add(IncidentEvent(incident_id=incident.id, actor_id=user.id, at=now, action=action,
                                 from_state=from_state, to_state=incident.status, note=note,
                                 data=data, attachments=attachments))
    flag_modified(incident, "status")  # every action bumps the version (compare-and-set UPDATE)


def perform(user: User, incident_id, action: str, params: dict | None = None, *,
            version=None, now: datetime | None = None) -> Incident:
    """Take ``action`` on a case as ``user`` (one transaction).

    ``params``: note (str), attachments (list of str), department_code / handler (dispatch),
    passed (bool, verify), rating (1–5, evaluate), hours (int, extend), approved (bool, approve).
    ``version``: the version the caller saw (optional; when given and stale → 409).
    ``now``: aware UTC time of the action (tests); default the clock.
    Raises NotFound (404: no such case in scope, unknown action), Forbidden (403: role or scope
    not in the table), Conflict (409: ``stale_version``, ``invalid_state`` — the table has no
    such move from the current state —, ``pending_approval``), BadInput (400: parameters).
    """
    params = params or {}
    now = now or utcnow()
    rows = _rows(action)
    incident = get_case(user, incident_id)
    check_version(incident.version, version, lambda mine: _(
        "事件已被他人更新（您的版本 %(mine)s，当前版本 %(now)s），请刷新后重试", mine=mine, now=incident.version))
    kinds = actor_kinds(user, incident)
    if action == "approve":
        _approve(user, incident, kinds, params, now)
    else:
        _transition(user, incident, kinds, rows, params, now)
    commit_versioned(lambda: _("事件已被他人同时更新，请刷新后重试"))
    return incident


def check_version(current: int, version, message) -> None:
    """Optimistic lock, shared by every versioned case kind (incidents, disputes): when the
    caller sent a ``version`` (int or numeric string; None/"" = not sent) that differs from
    ``current``, raise Conflict 409 ``stale_version`` with ``message(version)`` and
    ``details.version``. Raises BadInput ``invalid_version`` for a non-integer."""
    if version is None or version == "":
        return
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise BadInput(_("version 必须是整数"), code="invalid_version") from None
    if version != current:
        raise Conflict(message(version), code="stale_version", details={"version": current})


def commit_versioned(message) -> None:
    """Commit the action's transaction; a lost race on the ``version`` column (the UPDATE
    matched no row) rolls everything back and raises Conflict 409 ``stale_version``."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(message(), code="stale_version") from None


def _pick(rows: list[Transition], incident: Incident, params: dict) -> Transition:
    if rows[0].action == "verify":
        passed = _bool(params, "passed", _("核查结果 (passed) 必须是 true 或 false"))
        return rows[0] if passed else rows[1]
    return rows[0]


def _transition(user, incident, kinds, rows, params, now) -> None:
    t = _pick(rows, incident, params)
    if incident.status not in t.sources:
        raise Conflict(_("事件处于“%(state)s”状态，不能执行“%(action)s”", state=STATE_NAMES[incident.status],
                         action=t.label), code="invalid_state")
    matched = kinds & set(t.roles)
    if not matched:
        raise Forbidden(_("您无权对此事件执行“%(action)s”（允许：%(who)s）", action=t.label,
                          who="、".join(str(KIND_NAMES[k]) for k in t.roles)), code="action_forbidden")
    note, data = _params(t, incident, params)
    attachments = check_attachments(params.get("attachments"))
    from_state = incident.status
    if t.approval:
        if pending_approval(incident) is not None:
            raise Conflict(_("此事件已有待审批的申请"), code="pending_approval")
        approval = IncidentApproval(incident_id=incident.id, action=t.action, data=data, note=note,
                                    requested_by=user.id, requested_rank=max(RANK[k] for k in matched),
                                    requested_at=now)
        db.session.add(approval)
        db.session.flush()
        data = {**data, "approval_id": approval.id, "requested": True}
    else:
        _apply(incident, t.action, t.target, data, now)
    _record(incident, user, t.action, from_state, note, data, attachments, now)


def _approve(user, incident, kinds, params, now) -> None:
    pending = pending_approval(incident)
    if pending is None:
        raise Conflict(_("此事件没有待审批的申请"), code="no_pending_approval")
    if not kinds & set(OFFICE) or pending.requested_by == user.id or \
            _office_rank(kinds) <= pending.requested_rank:
        raise Forbidden(_("审批须由申请人的上一级（在管辖范围内）进行"), code="action_forbidden")
    approved = _bool(params, "approved", _("审批结果 (approved) 必须是 true 或 false")) \
        if "approved" in params else True
    note = _note(params, not approved)
    t = _rows(pending.action)[0]
    from_state = incident.status
    data = {"approval_id": pending.id, "request_action": pending.action, "approved": approved}
    if approved:
        if incident.status not in t.sources:
            raise Conflict(_("事件已处于“%(state)s”状态，申请的“%(action)s”不再适用，请驳回",
                             state=STATE_NAMES[incident.status], action=t.label), code="invalid_state")
        effect = dict(pending.data or {})
        _apply(incident, t.action, t.target, effect, now)
        data.update(effect)
    pending.decision = "approved" if approved else "refused"
    pending.decided_by, pending.decided_at = user.id, now
    _record(incident, user, "approve", from_state, note, data, [], now)


# --- deadlines and representation ------------------------------------------------------------

def deadline_flags(incident: Incident, now: datetime | None = None) -> dict:
    """{overdue, due_soon, due_today} of a case at ``now`` (UTC); rules in the module docstring."""
    now = now or utcnow()
    deadline = incident.deadline_at
    if deadline is None or incident.status not in DEADLINE_STATES:
        return {"overdue": False, "due_soon": False, "due_today": False}
    overdue = now > deadline
    return {"overdue": overdue,
            "due_soon": not overdue and deadline - now <= DUE_SOON,
            "due_today": not overdue and deadline.astimezone(LOCAL_TZ).date() == now.astimezone(LOCAL_TZ).date()}


def overdue_condition(now: datetime):
    """SQL condition on Incident: overdue at ``now`` (same rule as :func:`deadline_flags`)."""
    return and_(Incident.status.in_(DEADLINE_STATES), Incident.deadline_at < now)


def history(incident: Incident) -> list[IncidentEvent]:
    """The case's history, oldest first."""
    return list(db.session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                                   .order_by(IncidentEvent.at, IncidentEvent.id)))


def event_dict(e: IncidentEvent) -> dict:
    """JSON of one history entry (``at`` ISO 8601 UTC)."""
    return {"id": e.id, "at": e.at.isoformat(), "actor": e.actor.username, "actor_name": e.actor.display_name,
            "action": e.action, "from_state": e.from_state, "to_state": e.to_state, "note": e.note,
            "data": e.data or {}, "attachments": e.attachments or []}


def rework_count(incident: Incident) -> int:
    """How many verifications of the case failed (返工), from the history."""
    return sum(1 for e in history(incident) if e.action == "verify" and not (e.data or {}).get("passed"))


def extension_count(incident: Incident) -> int:
    """How many extensions of the case were approved (延期次数), from the approvals."""
    return len(list(db.session.scalars(select(IncidentApproval.id).where(
        IncidentApproval.incident_id == incident.id, IncidentApproval.action == "extend",
        IncidentApproval.decision == "approved"))))


def case_dict(user: User, incident: Incident, now: datetime | None = None) -> dict:
    """JSON of one case for ``GET /api/v1/incidents/<id>``: state, version, deadline (UTC),
    flags, assignee, pending approval, counts, allowed actions and history."""
    pending = pending_approval(incident)
    rule = db.session.get(CategoryRule, incident.category_code)
    lon, lat = db.session.execute(select(Incident.geom.ST_X(), Incident.geom.ST_Y())
                                  .where(Incident.id == incident.id)).one()
    return {
        "id": incident.id, "status": incident.status, "state": incident.status,
        "state_name": str(STATE_NAMES[incident.status]), "version": incident.version,
        "category_code": incident.category_code, "category_name": incident.category.name,
        "level": rule.level if rule else None, "description": incident.description,
        "lon": lon, "lat": lat, "grid_code": incident.grid_code, "community_code": incident.community_code,
        "reporter": incident.reporter.username, "reported_at": incident.reported_at.isoformat(),
        "filed_at": _iso(incident.filed_at), "deadline_at": _iso(incident.deadline_at),
        "handled_at": _iso(incident.handled_at), "closed_at": _iso(incident.closed_at),
        **deadline_flags(incident, now),
        "department_code": incident.department_code,
        "handler": incident.handler.username if incident.handler else None,
        "rating": incident.rating, "reworks": rework_count(incident),
        "extensions": extension_count(incident),
        "pending_approval": None if pending is None else {
            "id": pending.id, "action": pending.action, "requested_by": pending.requester.username,
            "requested_at": pending.requested_at.isoformat(), "note": pending.note, "data": pending.data},
        "allowed_actions": sorted({t.action for t in allowed_actions(user, incident)}),
        "history": [event_dict(e) for e in history(incident)],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def departments(district_code: str | None = None) -> list[Department]:
    """Departments (of one district, or all), by code."""
    q = select(Department).order_by(Department.code)
    if district_code:
        q = q.where(Department.district_code == district_code)
    return list(db.session.scalars(q))


def permission_table_markdown(table: tuple[Transition, ...] = TRANSITIONS) -> str:
    """A transition table (default the incidents') as Markdown (the README's tables are this
    text; tests check it)."""
    lines = ["| action | from | to | who (role in scope) | approval |", "|---|---|---|---|---|"]
    for t in table:
        name = t.action + (f" ({t.variant})" if t.variant else "")
        to = t.target or ("(the requested action's)" if t.action == "approve" else "(unchanged)")
        who = ", ".join(t.roles) + (" — rank above the requester, not the requester" if t.action == "approve" else "")
        lines.append(f"| `{name}` | {', '.join(t.sources)} | {to} | {who} | {'yes' if t.approval else ''} |")
    return "\n".join(lines)



# --- lists -----------------------------------------------------------------------------------

PER_PAGE_MAX = 500


def _local_day_start(value, field: str) -> datetime:
    try:
        day = datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        raise BadInput(_("%(field)s 必须是日期 YYYY-MM-DD", field=field), code=f"invalid_{field}") from None
    return day.replace(tzinfo=LOCAL_TZ).astimezone(UTC)


def date_range(date_from=None, date_to=None) -> tuple[datetime | None, datetime | None]:
    """Local dates (YYYY-MM-DD, Asia/Shanghai, both inclusive) → [start, end) in UTC."""
    start = _local_day_start(date_from, "from") if date_from else None
    end = _local_day_start(date_to, "to") + timedelta(days=1) if date_to else None
    if start and end and end <= start:
        raise BadInput(_("起始日期 (from) 不能晚于截止日期 (to)"), code="invalid_range")
    return start, end


def period_conditions(column, date_from=None, date_to=None) -> list:
    """Conditions putting the UTC timestamp ``column`` within the local dates of
    :func:`date_range` (none for an open end). Raises BadInput as :func:`date_range`."""
    start, end = date_range(date_from, date_to)
    return ([column >= start] if start else []) + ([column < end] if end else [])


def page_of(model, conds: list, order_by: tuple, args: dict) -> tuple[list, int, int, int]:
    """One page of the rows of ``model`` meeting ``conds`` in ``order_by`` order, with the
    paging of :func:`page_args`: (rows, total matched, page, per_page). Raises BadInput."""
    page, per_page = page_args(args)
    total = db.session.scalar(select(func.count()).select_from(model).where(*conds))
    items = list(db.session.scalars(select(model).where(*conds).order_by(*order_by)
                                    .limit(per_page).offset((page - 1) * per_page)))
    return items, total, page, per_page


def search(user: User, args: dict, now: datetime | None = None) -> tuple[list[Incident], int, int, int]:
    """The cases the user may see, filtered, newest first, one page.

    ``args`` (strings, all optional): state (comma-separated), category, grid, community,
    overdue (true/false), from / to (local dates, inclusive, on reported_at), mine (true: only
    cases assigned to the user), bbox (min_lon,min_lat,max_lon,max_lat, SRID 4326), page (from 1),
    per_page (1–500, default 500). Returns (cases, total matched, page, per_page).
    Raises BadInput for a malformed filter.
    """
    return page_of(Incident, search_conditions(user, args, now), (Incident.reported_at.desc(), Incident.id.desc()),
                   args)


def search_conditions(user: User, args: dict, now: datetime | None = None) -> list:
    """SQL conditions on :class:`Incident` for the list filters of :func:`search` (scope first),
    plus ``bbox`` = "min_lon,min_lat,max_lon,max_lat" (SRID 4326 degrees; points on the edge
    count). Raises BadInput for a malformed filter."""
    now = now or utcnow()
    conds = [visible_filter(user)]
    if args.get("bbox"):
        conds.append(Incident.geom.intersects(func.ST_MakeEnvelope(*parse_bbox(args["bbox"]), 4326)))
    if args.get("state"):
        states = [s.strip() for s in str(args["state"]).split(",") if s.strip()]
        unknown = [s for s in states if s not in STATE_NAMES]
        if unknown:
            raise BadInput(_("未知的状态 %(states)s", states=", ".join(unknown)), code="invalid_state_filter")
        conds.append(Incident.status.in_(states))
    if args.get("category"):
        conds.append(Incident.category_code.startswith(str(args["category"])))
    if args.get("grid"):
        conds.append(Incident.grid_code == str(args["grid"]))
    if args.get("community"):
        conds.append(Incident.community_code == str(args["community"]))
    if str(args.get("overdue", "")).lower() in ("true", "1"):
        conds.append(overdue_condition(now))
    if str(args.get("mine", "")).lower() in ("true", "1"):
        conds.append(assigned_filter(user))
    return conds + period_conditions(Incident.reported_at, args.get("from"), args.get("to"))


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """"min_lon,min_lat,max_lon,max_lat" (SRID 4326 degrees) → a tuple of floats. Raises BadInput
    unless it is four finite numbers with min < max, lon in [-180, 180], lat in [-90, 90]."""
    try:
        box = tuple(float(v) for v in str(value).split(","))
    except ValueError:
        box = ()
    if (len(box) != 4 or not all(math.isfinite(v) for v in box) or not (box[0] < box[2] and box[1] < box[3])
            or not (-180 <= box[0] and box[2] <= 180 and -90 <= box[1] and box[3] <= 90)):
        raise BadInput(_("bbox 必须是 最小经度,最小纬度,最大经度,最大纬度（WGS84 度），收到 %(value)s",
                         value=repr(value)), code="invalid_bbox")
    return box


def page_args(args: dict) -> tuple[int, int]:
    """(page from 1, per_page 1–500, default 500) from list arguments. Raises BadInput."""
    page = _int(args, "page", 1, 10**6, _("page 必须是正整数")) if args.get("page") else 1
    per_page = _int(args, "per_page", 1, PER_PAGE_MAX, _("per_page 必须是 1 到 500 的整数")) \
        if args.get("per_page") else PER_PAGE_MAX
    return page, per_page


def my_tasks(user: User, now: datetime | None = None) -> list[tuple[Incident, list[Transition]]]:
    """Cases waiting for the user, with the actions they may take: every visible open case on
    which the table allows them an action (oldest deadline first, then oldest report)."""
    cases = db.session.scalars(select(Incident).where(visible_filter(user), Incident.status.in_(OPEN_STATES))
                               .order_by(Incident.deadline_at.asc().nulls_last(), Incident.reported_at)
                               .limit(PER_PAGE_MAX))
    out = []
    for incident in cases:
        actions = [t for t in allowed_actions(user, incident) if t.action not in SIDE_ACTIONS + ("evaluate",)]
        if actions:
            out.append((incident, actions))
    return out


# Parameter checks shared with the other case kinds (gridapp.disputes.service).
parse_note, parse_int, parse_bool, office_rank = _note, _int, _bool, _office_rank
