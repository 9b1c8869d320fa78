"""Rectification notices (整改通知书): re-inspection, escalation and its approval.

The table is in the docstring of :mod:`gridapp.inspections.service` (to move to rules.py)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..core.clock import utcnow
from ..core.scope import OFFICE, RANK
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..extensions import db
from ..incidents.workflow import check_attachments
from ..models import Place, PlaceEvent, RectificationNotice, User
from ..models.places import MEASURES
from ..places import service as places_service
from ..reminders import service as reminders
from .service import MEASURE_NAMES, NOTICE_STATE_NAMES, _text, place_role  # noqa: F401

# --- notices ---------------------------------------------------------------------------------

def overdue(notice: RectificationNotice, now: datetime | None = None) -> bool:
    """Whether the notice is overdue at ``now`` (rule in the module docstring)."""
    return notice.status == "issued" and (now or utcnow()) > notice.deadline_at


def notice_filter(user: User):
    """SQL condition on RectificationNotice: its place is in the user's scope."""
    return RectificationNotice.place_id.in_(select(Place.id).where(places_service.place_filter(user)))


def get_notice(user: User, notice_id) -> RectificationNotice:
    """The notice if its place is in the user's scope; NotFound (404) otherwise."""
    try:
        notice_id = int(notice_id)
    except (TypeError, ValueError):
        raise NotFound(_("整改通知书不存在"), code="notice_not_found") from None
    row = db.session.scalar(select(RectificationNotice).where(RectificationNotice.id == notice_id,
                                                              notice_filter(user)))
    if row is None:
        raise NotFound(_("整改通知书 %(id)s 不存在或不在您的管辖范围内", id=notice_id), code="notice_not_found")
    return row


def notices(user: User) -> list[RectificationNotice]:
    """The notices in the user's scope, the earliest deadline first."""
    return list(db.session.scalars(select(RectificationNotice).where(notice_filter(user))
                                   .order_by(RectificationNotice.deadline_at, RectificationNotice.id)))


def allowed_actions(user: User, notice: RectificationNotice, now: datetime | None = None) -> list[str]:
    """The actions (reinspect, escalate, approve) the user may take on the notice now."""
    role = place_role(user, notice.place)
    if role is None:
        return []
    out = []
    if notice.status == "issued":
        out.append("reinspect")
    if notice.status == "failed" or overdue(notice, now):
        out.append("escalate")
    if notice.status == "escalation_pending" and role in OFFICE and notice.requested_by != user.id \
            and RANK[role] > (notice.requested_rank or 0):
        out.append("approve")
    return out


def _bool(params: dict, key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        value = value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise BadInput(_("%(key)s 必须是 true 或 false", key=key), code=f"invalid_{key}")
    return value


def act(user: User, notice_id, action: str, params: dict | None = None, *, version=None,
        now: datetime | None = None) -> RectificationNotice:
    """Take ``action`` (reinspect | escalate | approve) on a notice (one transaction; table in
    the module docstring). ``params``: passed (bool, reinspect), measure (fine|suspend|ban,
    escalate), approved (bool, approve), note, attachments (photos). ``version``: the version
    the caller saw (stale → 409). Raises NotFound (404), Forbidden (403), Conflict (409:
    ``stale_version``, ``invalid_state``), BadInput (400)."""
    params = params or {}
    now = now or utcnow()
    notice = get_notice(user, notice_id)
    if version not in (None, ""):
        if str(version) != str(notice.version):
            raise Conflict(_("整改通知书已被他人更新，请刷新后重试"), code="stale_version",
                           details={"version": notice.version})
    if action not in ("reinspect", "escalate", "approve"):
        raise NotFound(_("未知的操作 %(action)s；可用：%(all)s", action=action, all="reinspect, escalate, approve"),
                       code="unknown_action")
    role = place_role(user, notice.place)
    if action not in allowed_actions(user, notice, now):
        if action == "approve" and notice.status == "escalation_pending":
            raise Forbidden(_("审批须由申请人的上一级（在管辖范围内）进行"), code="action_forbidden")
        raise Conflict(_("整改通知书处于“%(state)s”状态，不能执行此操作", state=NOTICE_STATE_NAMES[notice.status]),
                       code="invalid_state")
    note = _text(params.get("note"), "note")
    attachments = check_attachments(params.get("attachments"))
    place = notice.place
    from_state = notice.status
    data: dict = {"number": notice.number, "from_state": from_state}
    if action == "reinspect":
        passed = _bool(params, "passed")
        notice.status = "passed" if passed else "failed"
        notice.reinspected_at = now
        data.update(passed=passed, on_time=passed and now <= notice.deadline_at)
    elif action == "escalate":
        measure = params.get("measure")
        if measure not in MEASURES:
            raise BadInput(_("升级措施 (measure) 必须是 fine、suspend 或 ban"), code="invalid_measure")
        if note is None:
            raise BadInput(_("此操作必须填写说明或理由 (note)"), code="note_required")
        notice.state_before_escalation, notice.status, notice.measure = from_state, "escalation_pending", measure
        notice.requested_by, notice.requested_rank = user.id, RANK[role]
        notice.decided_by = notice.decided_at = None
        data.update(measure=measure, overdue=from_state == "issued")
    else:
        approved = _bool(params, "approved") if "approved" in params else True
        if not approved and note is None:
            raise BadInput(_("此操作必须填写说明或理由 (note)"), code="note_required")
        notice.decided_by, notice.decided_at = user.id, now
        data.update(measure=notice.measure, approved=approved)
        if approved:
            notice.status = "escalated"
            new_status = {"suspend": "suspended", "ban": "banned"}.get(notice.measure)
            if new_status:
                data["place_status"] = {"from": place.status, "to": new_status}
                place.status = new_status
        else:
            notice.status = notice.state_before_escalation or "failed"
    data["to_state"] = notice.status
    event = PlaceEvent(place_id=place.id, notice_id=notice.id, actor_id=user.id, at=now,
                       action="approve" if action == "approve" else action, note=note, data=data,
                       attachments=attachments)
    db.session.add(event)
    db.session.flush()
    if action == "reinspect" and not data["passed"]:
        reminders.notify(reminders.responsible_users(place), "returned", "notice", notice.id,
                         _("整改通知书 %(number)s 复查不合格", number=notice.number), f"/notices/{notice.id}",
                         f"notice:{notice.id}:returned:{event.id}", now)
    if action == "escalate":
        reminders.notify(reminders.approvers(place, notice.requested_rank), "approval", "notice", notice.id,
                         _("整改通知书 %(number)s 申请升级处理，待审批", number=notice.number),
                         f"/notices/{notice.id}", f"notice:{notice.id}:approval:{event.id}", now)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(_("整改通知书已被他人同时更新，请刷新后重试"), code="stale_version") from None
    return notice


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


