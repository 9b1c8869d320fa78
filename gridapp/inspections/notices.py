"""Rectification notices (整改通知书) on the casework core: re-inspection, escalation, approval.

| action | from | to | who |
|---|---|---|---|
| `reinspect` passed=true | issued (overdue too) | passed | in scope |
| `reinspect` passed=false | issued (overdue too) | failed | in scope |
| `escalate` measure=fine/suspend/ban | failed; issued and overdue | escalation_pending | in scope |
| `approve` approved=true | escalation_pending | escalated (suspend/ban: place suspended/banned) | office ¹ |
| `approve` approved=false | escalation_pending | the state before the request | office ¹ |

"in scope": any role with the notice's place in its scope (a grid worker: their grids).
¹ secretary, township, district or admin with the place in scope, ranked above the requester
(:data:`gridapp.core.scope.RANK`), not the requester — the approval rule of
:mod:`gridapp.core.casework`, which also fixes the order of the checks.

Deadline: a local date; the notice is due at the end of that day (23:59:59 local, stored in
UTC). *Overdue*: status issued and now after the deadline (the table's ``overdue`` state).
*Rectified on time*: passed at a re-inspection no later than the deadline.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core import params as p
from ..core.casework import CaseKind, Outcome, Pending, Transition, find_in_scope
from ..core.casework import perform as perform_case
from ..core.clock import utcnow
from ..core.scope import role_in_scope
from ..extensions import db
from ..incidents.attachments import check_attachments
from ..models import Place, PlaceEvent, RectificationNotice, User
from ..notifications import recipients
from ..notifications.outbox import Announcing
from ..places import service as places_service
from .rules import MEASURE_NAMES, MEASURES, NOTICE_STATE_NAMES, STATE_NAMES, TEXT_MAX, TRANSITIONS


def overdue(notice: RectificationNotice, now: datetime | None = None) -> bool:
    """Whether the notice is overdue at ``now`` (rule in the module docstring)."""
    return notice.status == "issued" and (now or utcnow()) > notice.deadline_at


def notice_filter(user: User):
    """SQL condition on RectificationNotice: its place is in the user's scope."""
    return RectificationNotice.place_id.in_(select(Place.id).where(places_service.place_filter(user)))


def get_notice(user: User, notice_id) -> RectificationNotice:
    """The notice if its place is in the user's scope; NotFound (404) otherwise."""
    return find_in_scope(RectificationNotice, notice_filter(user), notice_id, "notice_not_found",
                         lambda i: _("整改通知书 %(id)s 不存在或不在您的管辖范围内", id=i))


def notices(user: User) -> list[RectificationNotice]:
    """The notices in the user's scope, the earliest deadline first."""
    return list(db.session.scalars(select(RectificationNotice).where(notice_filter(user)).order_by(*NOTICES_ORDER)))


#: the notices list's order: the earliest deadline first
NOTICES_ORDER = (RectificationNotice.deadline_at, RectificationNotice.id)


class NoticeKind(Announcing, CaseKind):
    """The rectification notice as a case kind: table :data:`TRANSITIONS`; its pending request is
    the notice itself in ``escalation_pending``; its history is the place's timeline."""

    name = "notice"
    messages = {"stale": _l("整改通知书已被他人更新，请刷新后重试"),
                "race": _l("整改通知书已被他人同时更新，请刷新后重试"),
                "state": _l("整改通知书处于“%(state)s”状态，不能执行此操作"),
                "forbidden": _l("您无权对此整改通知书执行“%(action)s”（允许：%(who)s）"),
                "pending": _l("此整改通知书已有待审批的申请"), "no_pending": _l("此整改通知书没有待审批的申请"),
                "not_applicable": _l("整改通知书已处于“%(state)s”状态，申请的“%(action)s”不再适用，请驳回")}
    table, state_names = TRANSITIONS, STATE_NAMES
    role_names = {"worker": _l("网格员（本网格）"), "secretary": _l("社区书记（本社区）"),
                  "township": _l("街道/镇（本街道）"), "district": _l("区级（本区）"), "admin": _l("系统管理员")}

    find = staticmethod(get_notice)

    def audience(self, case, to: str, pending) -> set[int]:
        """responsible (the place's grid workers and secretaries), approvers, requester."""
        if to == "responsible":
            return recipients.responsible_users(case.place)
        return recipients.approvers(case.place, pending) if to == "approvers" else recipients.requester(pending)

    def title(self, case) -> str:
        return _("整改通知书 %(number)s（%(place)s）", number=case.number, place=case.place.name)

    def link(self, case) -> str:
        return f"/notices/{case.id}"

    def detail(self, case, pending) -> str:
        """A request in words: the measure asked for."""
        measure = (pending.data or {}).get("measure") if pending else None
        return _("（措施：%(measure)s）", measure=MEASURE_NAMES[measure]) if measure in MEASURE_NAMES else ""

    def actor_kinds(self, user, case) -> set[str]:
        role = role_in_scope(user, case.place)
        return {role} if role else set()

    def state(self, case, now: datetime) -> str:
        return "overdue" if overdue(case, now) else case.status

    def still_applies(self, case, t: Transition, now: datetime) -> bool:
        return True  # the pending state holds the notice until the decision

    def pending(self, case) -> Pending | None:
        if case.status != "escalation_pending":
            return None
        return Pending("escalate", {"measure": case.measure}, None, case.requested_by, case.requested_rank or 0, case)

    def parameters(self, t: Transition, user, case, params: dict) -> Outcome:
        """note (required to escalate), attachments (photos); measure fine|suspend|ban (escalate)."""
        out = Outcome(note=p.note(params.get("note"), t.action == "escalate", TEXT_MAX),
                      data={"number": case.number, "from_state": case.status},
                      attachments=check_attachments(user, params.get("attachments")))
        if t.action == "reinspect":
            out.data["passed"] = t.variant == "passed"
        elif t.action == "escalate":
            measure = params.get("measure")
            if measure not in MEASURES:
                raise p.bad("measure", _("升级措施 (measure) 必须是 fine、suspend 或 ban"))
            out.data.update(measure=measure, overdue=case.status == "issued")
        return out

    def apply(self, user, case, t: Transition, outcome: Outcome, now: datetime) -> None:
        if t.action == "reinspect":
            case.status, case.reinspected_at = t.target, now
            outcome.data["on_time"] = outcome.data["passed"] and now <= case.deadline_at
        elif t.action == "escalate":  # approved
            case.status = "escalated"
            place = case.place
            new_status = {"suspend": "suspended", "ban": "banned"}.get(case.measure)
            if new_status:
                outcome.data["place_status"] = {"from": place.status, "to": new_status}
                place.status = new_status

    def request(self, user, case, t: Transition, outcome: Outcome, rank: int, now: datetime) -> None:
        case.state_before_escalation, case.status = case.status, "escalation_pending"
        case.measure = outcome.data["measure"]
        case.requested_by, case.requested_rank = user.id, rank
        case.decided_by = case.decided_at = None

    def decide(self, user, case, pending: Pending, approved: bool, now: datetime) -> None:
        case.decided_by, case.decided_at = user.id, now
        if not approved:
            case.status = case.state_before_escalation or "failed"

    def record(self, user, case, action: str, from_state: str, outcome: Outcome, now: datetime) -> int:
        """One entry of the place's timeline; its id."""
        data = outcome.data
        if action == "approve":
            data = {"number": case.number, "from_state": from_state, "measure": case.measure,
                    "approved": data["approved"], **({"place_status": data["place_status"]}
                                                     if "place_status" in data else {})}
        data = {**data, "to_state": case.status}
        data.pop("requested", None)
        event = PlaceEvent(place_id=case.place_id, notice_id=case.id, actor_id=user.id, at=now, action=action,
                           note=outcome.note, data=data, attachments=outcome.attachments)
        db.session.add(event)
        db.session.flush()
        return event.id


NOTICE = NoticeKind()


def allowed_actions(user: User, notice: RectificationNotice, now: datetime | None = None) -> list[str]:
    """The actions (reinspect, escalate, approve) the user may take on the notice now."""
    return list(dict.fromkeys(t.action for t in NOTICE.allowed(user, notice, now)))


def act(user: User, notice_id, action: str, params: dict | None = None, *, version=None,
        now: datetime | None = None) -> RectificationNotice:
    """Take ``action`` (reinspect | escalate | approve) on a notice: one transaction through
    :func:`gridapp.core.casework.perform` (table in the module docstring). ``params``: passed
    (bool, reinspect), measure (fine|suspend|ban, escalate), approved (bool, approve), note,
    attachments (photos). ``version``: the version the caller saw (stale → 409). Raises NotFound
    (404), Forbidden (403), BadInput (400: version, parameters), Conflict (409: ``stale_version``,
    ``invalid_state``)."""
    return perform_case(NOTICE, user, notice_id, action, params, version=version, now=now)


def notice_dict(user: User, notice: RectificationNotice, now: datetime | None = None) -> dict:
    """JSON of a notice (times ISO 8601 UTC) with allowed actions."""
    return {"id": notice.id, "number": notice.number, "place_id": notice.place_id, "place_name": notice.place.name,
            "inspection_id": notice.inspection_id, "requirements": notice.requirements,
            "deadline_at": notice.deadline_at.isoformat(), "status": notice.status,
            "state_name": str(NOTICE_STATE_NAMES[notice.status]), "overdue": overdue(notice, now),
            "issued_at": notice.issued_at.isoformat(), "issued_by": notice.issuer.username,
            "reinspected_at": notice.reinspected_at.isoformat() if notice.reinspected_at else None,
            "measure": notice.measure, "version": notice.version,
            "allowed_actions": allowed_actions(user, notice, now)}
