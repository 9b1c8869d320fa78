"""The notification centre (消息提醒) and the reminder job.

Notifications are rows of :class:`~gridapp.models.Notification`, one per user and
``dedupe_key`` (unique), so writing the same reminder twice is a no-op: :func:`notify` is the one
entry point (incidents, rectification notices, and later disputes — pass ``subject_type``).

Kinds: ``assigned`` (new assignment), ``due_soon`` (deadline within 24 hours, not yet passed),
``overdue`` (deadline passed, still open), ``returned`` (returned for rework), ``approval``
(an approval is wanted from you).

:func:`run` (``flask --app wsgi gridapp remind``, cron-friendly: every few minutes) computes
them from the current state and history and hands every undelivered notification to the
configured delivery channels (``GRIDAPP_REMINDER_CHANNELS``, comma-separated; default ``log``).
Running it again at the same moment writes and delivers nothing new (idempotent). Keys:

* notice ``due_soon`` / ``overdue``: one per notice and deadline;
* incident ``due_soon`` / ``overdue``: one per case and deadline (an approved extension moves
  the deadline and so reminds again);
* incident ``assigned``: one per 派遣 (dispatch) event; ``returned``: one per failed
  verification (返工); ``approval``: one per pending side-action request.

Recipients: of a notice — the grid workers of the place's grid and the secretary of its
community; of an incident — its handler or the members of its department (assignment, due,
rework) and the secretary of its community (due, overdue); approvals — the office users in
scope ranked above the requester.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import func, literal, null, select
from sqlalchemy.dialects.postgresql import insert

from ..core.clock import utcnow
from ..core.roles import OFFICE, RANK
from ..core.scope import Holder, scope_condition
from ..extensions import db
from ..incidents.rules import DEADLINE_STATES, DUE_SOON
from ..models import (
    DepartmentMember,
    GridAssignment,
    Incident,
    IncidentApproval,
    IncidentEvent,
    Notification,
    Place,
    RectificationNotice,
    User,
)
from .rules import KINDS

log = logging.getLogger("gridapp.reminders")


class Channel(Protocol):
    """A delivery channel beyond the in-app centre (SMS, WeCom, e-mail...): ``send`` gets the
    notification and its user; raising leaves it undelivered for the next run."""

    name: str

    def send(self, notification: Notification, user: User) -> None: ...


class LoggingChannel:
    """The default channel: writes one log line per notification (logger ``gridapp.reminders``)."""

    name = "log"

    def send(self, notification: Notification, user: User) -> None:
        log.info("notify %s [%s] %s %s#%s: %s", user.username, notification.kind, notification.dedupe_key,
                 notification.subject_type, notification.subject_id, notification.message)


CHANNELS: dict[str, type] = {"log": LoggingChannel}


def channels(channel_names: str = "log") -> list[Channel]:
    """The channels named in ``channel_names`` (comma-separated, the REMINDER_CHANNELS setting);
    unknown names are refused with ValueError."""
    names = [n.strip() for n in str(channel_names).split(",") if n.strip()]
    unknown = [n for n in names if n not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown reminder channel(s): {', '.join(unknown)}; known: {', '.join(CHANNELS)}")
    return [CHANNELS[n]() for n in names]


def notify(user_ids, kind: str, subject_type: str, subject_id: int, message: str, url: str | None,
           key: str, now: datetime | None = None) -> int:
    """Write one notification per user unless that user already has ``key`` (does not commit:
    it joins the caller's transaction). Returns how many rows were written."""
    if kind not in KINDS:
        raise ValueError(kind)
    now = now or utcnow()
    written = 0
    for uid in sorted(set(user_ids)):
        result = db.session.execute(insert(Notification).values(
            user_id=uid, kind=kind, subject_type=subject_type, subject_id=subject_id, message=message, url=url,
            dedupe_key=key, created_at=now).on_conflict_do_nothing(constraint="uq_notifications_user_dedupe")
            .returning(Notification.id))
        written += len(result.all())
    return written


def for_user(user: User, unread_only: bool = False, limit: int = 200) -> list[Notification]:
    """The user's notifications, newest first."""
    q = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    return list(db.session.scalars(q.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def notification_dict(n: Notification) -> dict:
    """JSON of one notification (times ISO 8601 UTC)."""
    return {"id": n.id, "kind": n.kind, "subject_type": n.subject_type, "subject_id": n.subject_id,
            "message": n.message, "url": n.url, "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None}


def unread_count(user: User) -> int:
    """How many unread notifications the user has."""
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None)))


def mark_read(user: User, notification_id=None, now: datetime | None = None) -> int:
    """Mark one (or, without id, all) of the user's notifications read; returns how many."""
    now = now or utcnow()
    q = select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        try:
            q = q.where(Notification.id == int(notification_id))
        except (TypeError, ValueError):
            return 0
    rows = list(db.session.scalars(q))
    for n in rows:
        n.read_at = now
    db.session.commit()
    return len(rows)


# --- the job ---------------------------------------------------------------------------------

def _incident_handlers(incident: Incident) -> set[int]:
    ids = {incident.handler_id} if incident.handler_id else set()
    if incident.department_code:
        ids |= set(db.session.scalars(select(DepartmentMember.user_id)
                                      .where(DepartmentMember.department_code == incident.department_code)))
    return ids


def secretaries(community_code: str) -> set[int]:
    """Ids of the active secretaries of a community."""
    return set(db.session.scalars(select(User.id).where(User.active.is_(True), User.role == "secretary",
                                                        User.scope_code == community_code)))


def office_above(community_code: str, district_code: str, rank: int) -> set[int]:
    """Ids of the active office users (secretary, township, district) whose scope covers the
    community and whose rank (:data:`gridapp.core.scope.RANK`) is above ``rank``."""
    roles = [role for role in OFFICE if role != "admin" and RANK[role] > rank]
    holder = Holder(User.id, User.role, User.scope_code)  # the one scope rule, read with each user's columns
    in_scope = scope_condition(holder, literal(district_code), literal(community_code), null())
    return set(db.session.scalars(select(User.id).where(User.active.is_(True), User.role.in_(roles), in_scope)))


def _deadline(subject_type, subject_id, deadline, users, label, url, now) -> int:
    if now > deadline:
        kind, text = "overdue", _("%(what)s 已逾期", what=label)
    elif deadline - now <= DUE_SOON:
        kind, text = "due_soon", _("%(what)s 将在 24 小时内到期", what=label)
    else:
        return 0
    return notify(users, kind, subject_type, subject_id, text, url,
                  f"{subject_type}:{subject_id}:{kind}:{deadline.isoformat()}", now)


def compute(now: datetime | None = None) -> int:
    """Write the reminders due at ``now`` (UTC) for notices and incidents (rules in the module
    docstring); returns how many rows were written. Does not commit."""
    now = now or utcnow()
    written = 0
    for notice in db.session.scalars(select(RectificationNotice).where(RectificationNotice.status == "issued")):
        written += _deadline("notice", notice.id, notice.deadline_at, responsible_users(notice.place),
                             _("整改通知书 %(number)s", number=notice.number), f"/notices/{notice.id}", now)
    open_cases = select(Incident).where(Incident.status.in_(DEADLINE_STATES), Incident.deadline_at.is_not(None))
    for inc in db.session.scalars(open_cases):
        users = _incident_handlers(inc) | secretaries(inc.community_code)
        written += _deadline("incident", inc.id, inc.deadline_at, users, _("事件 #%(id)s", id=inc.id),
                             f"/cases/{inc.id}", now)
    assigned = select(Incident).where(Incident.status.in_(("dispatched", "in_progress")))
    for inc in db.session.scalars(assigned):
        events = db.session.scalars(select(IncidentEvent).where(
            IncidentEvent.incident_id == inc.id,
            IncidentEvent.action.in_(("dispatch", "verify"))).order_by(IncidentEvent.id.desc()).limit(1))
        for e in events:
            kind = "assigned" if e.action == "dispatch" else "returned"
            if kind == "returned" and (e.data or {}).get("passed"):
                continue
            text = _("新派遣的事件 #%(id)s", id=inc.id) if kind == "assigned" else \
                _("事件 #%(id)s 核查不通过，需返工", id=inc.id)
            written += notify(_incident_handlers(inc), kind, "incident", inc.id, text, f"/cases/{inc.id}",
                              f"incident:{inc.id}:{kind}:{e.id}", now)
    pending = select(IncidentApproval, Incident).join(Incident, Incident.id == IncidentApproval.incident_id) \
        .where(IncidentApproval.decision.is_(None))
    for approval, inc in db.session.execute(pending).all():
        users = office_above(inc.community_code, inc.district_code, approval.requested_rank) - {approval.requested_by}
        written += notify(users, "approval", "incident", inc.id,
                          _("事件 #%(id)s 有待审批的申请", id=inc.id), f"/cases/{inc.id}",
                          f"incident:{inc.id}:approval:{approval.id}", now)
    return written


def deliver(now: datetime | None = None, channel_names: str = "log") -> int:
    """Hand every undelivered notification to the channels of ``channel_names`` and mark it delivered;
    returns how many. A channel that raises leaves that notification for the next run."""
    now = now or utcnow()
    chans = channels(channel_names)
    done = 0
    for n, user in db.session.execute(select(Notification, User).join(User, User.id == Notification.user_id)
                                      .where(Notification.delivered_at.is_(None)).order_by(Notification.id)).all():
        try:
            for ch in chans:
                ch.send(n, user)
        except Exception:  # noqa: BLE001 - a failing channel must not stop the others
            log.exception("delivery of notification %s failed", n.id)
            continue
        n.delivered_at = now
        done += 1
    return done


def run(now: datetime | None = None, channel_names: str = "log") -> dict:
    """The reminder job (one transaction): compute, then deliver through the channels named in
    ``channel_names`` (the REMINDER_CHANNELS setting). Returns {written, delivered}."""
    written = compute(now)
    db.session.flush()
    delivered = deliver(now, channel_names)
    db.session.commit()
    return {"written": written, "delivered": delivered}


def responsible_users(place: Place) -> list[int]:
    """Users answerable for a place's notices: the grid workers of its grid and the secretary
    of its community (active users)."""
    ids = secretaries(place.community_code)
    if place.grid_code:
        ids |= set(db.session.scalars(select(GridAssignment.user_id).join(User, User.id == GridAssignment.user_id)
                                      .where(GridAssignment.grid_code == place.grid_code, User.active.is_(True),
                                             User.role == "worker")))
    return sorted(ids)


def approvers(place: Place, above_rank: int) -> list[int]:
    """Active office users with the place in scope whose rank is above ``above_rank``."""
    return sorted(office_above(place.community_code, place.district_code, above_rank))
