"""The closed loop of an incident (事件闭环): the incident case kind of the casework core.

The table, deadlines and who may approve are in :mod:`gridapp.incidents.rules`; the order of the
checks, the optimistic lock (``version``: stale → 409), approvals and the history row are
:func:`gridapp.core.casework.perform`'s. This module declares what is the incident's own: who the
actor kinds are, the parameters of each action and their effects.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, select

from ..core import params as p
from ..core.casework import Outcome, StoredKind, Transition, find_in_scope
from ..core.casework import perform as perform_case
from ..core.errors import BadInput
from ..core.scope import scope_kinds
from ..core.timefmt import local_text
from ..extensions import db
from ..models import CategoryRule, Department, DepartmentMember, Incident, IncidentApproval, IncidentEvent, User
from ..notifications import recipients
from ..notifications.outbox import Announcing, request_words
from .attachments import check_attachments
from .rules import (
    DEFAULT_DEADLINE_HOURS,
    EXTEND_MAX_HOURS,
    KIND_NAMES,
    NOTE_MAX,
    OPEN_STATES,
    STATE_NAMES,
    TRANSITIONS,
)
from .visibility import visible_filter


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


def get_case(user: User, incident_id, field: str | None = None) -> Incident:
    """The case ``incident_id`` if the user may see it. Raises NotFound (404, naming ``field``
    when the id came in a parameter) otherwise (a case outside the scope is not revealed)."""
    return find_in_scope(Incident, visible_filter(user), incident_id, "incident_not_found",
                         lambda i: _("事件 %(id)s 不存在或不在您的管辖范围内", id=i), field=field)


def _assignee(incident: Incident, params: dict) -> dict:
    """A dispatch target: ``department_code`` (a department of the case's district) and/or
    ``handler`` (user id or username of an active member of such a department); default: the
    category rule's department. Raises BadInput (none given; ``department_without_handler``: a
    department given alone that has no active member, so nobody could act on the case), NotFound
    (404 naming the field: an unknown target and one of another district answer the same)."""
    dept_code = params.get("department_code") or None
    handler_ref = params.get("handler") or params.get("handler_id") or None
    if dept_code is None and handler_ref is None:
        rule = db.session.get(CategoryRule, incident.category_code)
        dept_code = rule.department_code if rule else None
    if dept_code is None and handler_ref is None:
        raise BadInput(_("派遣需要指定专业部门 (department_code) 或处置人 (handler)"), code="assignee_required",
                       field="department_code")
    data = {}
    if dept_code is not None:
        data["department_code"] = find_in_scope(
            Department, Department.district_code == incident.district_code, dept_code, "department_not_found",
            lambda c: _("专业部门 %(code)s 不存在", code=c), field="department_code", key=Department.code).code
        if handler_ref is None and not db.session.scalar(select(exists().where(
                DepartmentMember.department_code == data["department_code"],
                DepartmentMember.user_id == User.id, User.active.is_(True)))):
            # nobody could act on the case: it would wait for ever, visible to no handler
            raise BadInput(_("专业部门 %(code)s 没有处置人，不能派遣：请在处置规则中为其添加处置人，或选择其他部门",
                             code=data["department_code"]), code="department_without_handler",
                           field="department_code")
    if handler_ref is not None:
        ref = str(handler_ref)
        in_district = User.id.in_(select(DepartmentMember.user_id).join(Department).where(
            Department.district_code == incident.district_code))
        by_id = ref.isascii() and ref.isdigit() and len(ref) < 10
        data["handler_id"] = find_in_scope(
            User, and_(in_district, User.active.is_(True)), int(ref) if by_id else ref, "handler_not_found",
            lambda r: _("处置人 %(ref)s 不存在", ref=r), field="handler", key=User.id if by_id else User.username).id
    return data


def _merge_target(user: User, incident: Incident, params: dict) -> int:
    """The open case a duplicate report is merged into (``into``: its id), found in the user's
    scope like a read (404 otherwise, as an absent case); then: same district, not itself, not
    merged or closed (BadInput)."""
    target = get_case(user, params.get("into"), "into")
    if target.id == incident.id or target.district_code != incident.district_code \
            or target.status not in OPEN_STATES:
        raise p.bad("into", _("案件 %(id)s 不能作为合并目标（须为本区其他未结案件）", id=target.id))
    return target.id


def _deadline_hours(incident: Incident) -> int:
    rule = db.session.get(CategoryRule, incident.category_code)
    return rule.deadline_hours if rule else DEFAULT_DEADLINE_HOURS


class IncidentKind(Announcing, StoredKind):
    """The incident as a case kind: table :data:`~gridapp.incidents.rules.TRANSITIONS`."""

    name = "incident"
    messages = {"stale": _l("事件已被他人更新（您的版本 %(mine)s，当前版本 %(now)s），请刷新后重试"),
                "race": _l("事件已被他人同时更新，请刷新后重试"),
                "state": _l("事件处于“%(state)s”状态，不能执行“%(action)s”"),
                "forbidden": _l("您无权对此事件执行“%(action)s”（允许：%(who)s）"),
                "pending": _l("此事件已有待审批的申请"), "no_pending": _l("此事件没有待审批的申请"),
                "not_applicable": _l("事件已处于“%(state)s”状态，申请的“%(action)s”不再适用，请驳回")}
    table, state_names, role_names = TRANSITIONS, STATE_NAMES, KIND_NAMES
    event_model, approval_model, case_fk, event_attachments = IncidentEvent, IncidentApproval, "incident_id", True

    find, actor_kinds = staticmethod(get_case), staticmethod(actor_kinds)

    def audience(self, case, to: str, pending) -> set[int]:
        """assignee (handler, department members), office (the community's secretaries),
        approvers, requester."""
        if to == "assignee":
            return recipients.incident_handlers(case)
        if to == "office":
            return recipients.secretaries(case.community_code)
        return recipients.approvers(case, pending) if to == "approvers" else recipients.requester(pending)

    def title(self, case) -> str:
        return _("事件 #%(id)s（%(category)s）", id=case.id, category=case.category.name)

    def link(self, case) -> str:
        return f"/cases/{case.id}"

    def detail(self, case, pending) -> str:
        """What a request asks: the hours of an extension and the deadline it gives; the reason."""
        return request_detail(case, pending)

    def parameters(self, t: Transition, user, case, params: dict) -> Outcome:
        """note (required by reject, handle, failed verify, return, void, defer); assignee
        (dispatch), rating 1–5 (evaluate), into (merge), hours (extend); attachments."""
        out = Outcome(note=p.note(params.get("note"), t.needs == "note", NOTE_MAX))
        if t.needs == "assignee":
            out.data = _assignee(case, params)
        elif t.needs == "rating":
            out.data["rating"] = p.integer(params.get("rating"), "rating", 1, 5,
                                           _("评价 (rating) 必须是 1 到 5 的整数"))
        elif t.needs == "into":
            out.data["into"] = _merge_target(user, case, params)
        elif t.needs == "hours":
            out.data["hours"] = p.integer(params.get("hours"), "hours", 1, EXTEND_MAX_HOURS,
                                          _("延期小时数 (hours) 必须是 1 到 %(max)s 的整数", max=EXTEND_MAX_HOURS))
        if t.action == "verify":
            out.data["passed"] = t.variant == "passed"
        out.attachments = check_attachments(user, params.get("attachments"))
        return out

    def apply(self, user, case, t: Transition, outcome: Outcome, now: datetime) -> None:
        """Change the case's columns for one effective action (state already checked)."""
        data, action = outcome.data, t.action
        if action == "file":
            data["deadline_hours"] = _deadline_hours(case)
            case.filed_at = now
            case.deadline_at = now + timedelta(hours=data["deadline_hours"])
            data["deadline_at"] = case.deadline_at.isoformat()
        elif action == "dispatch":
            case.department_code = data.get("department_code")
            case.handler_id = data.get("handler_id")
        elif action == "handle":
            case.handled_at = now
        elif action == "verify" and data["passed"]:
            case.closed_at = now
        elif action == "evaluate":
            case.rating = data["rating"]
        elif action == "return":
            case.department_code = case.handler_id = case.handled_at = None
        elif action == "merge":
            case.duplicate_of_id = data["into"]
        elif action == "extend":
            case.deadline_at = case.deadline_at + timedelta(hours=data["hours"])
            data["deadline_at"] = case.deadline_at.isoformat()
        if t.target is not None:
            case.status = t.target


def request_detail(case: Incident, pending) -> str:
    """A request in words: 延期 — the hours and the new deadline (local time); the reason."""
    hours = ((pending.data or {}) if pending else {}).get("hours")
    return request_words(_("%(hours)s 小时，新时限 %(deadline)s", hours=hours, deadline=local_text(
        case.deadline_at + timedelta(hours=int(hours)))) if hours and case.deadline_at else None, pending)


INCIDENT = IncidentKind()


def perform(user: User, incident_id, action: str, params: dict | None = None, *,
            version=None, now: datetime | None = None) -> Incident:
    """Take ``action`` on a case as ``user`` (one transaction; :func:`gridapp.core.casework.perform`).

    ``params``: note (str), attachments (list of str), department_code / handler (dispatch),
    passed (bool, verify), rating (1–5, evaluate), hours (int, extend), into (merge), approved
    (bool, approve). ``version``: the version the caller saw (optional; stale → 409).
    ``now``: aware UTC time of the action (tests); default the clock.
    Raises NotFound (404: no such case in scope, unknown action), Forbidden (403: role or scope
    not in the table), BadInput (400: version, parameters), Conflict (409: ``stale_version``,
    ``invalid_state``, ``pending_approval``, ``no_pending_approval``).
    """
    return perform_case(INCIDENT, user, incident_id, action, params, version=version, now=now)


#: The side-action request of a case awaiting approval (its row), or None.
pending_approval = INCIDENT.pending_row
#: The table rows the user may take now on a case (for its page and the API).
allowed_actions = INCIDENT.allowed


