"""The notification centre (消息提醒) and the reminder job.

Notifications are rows of :class:`~gridapp.models.Notification`, one per user and
``dedupe_key`` (unique), so writing the same reminder twice is a no-op; they are written through
the one outbox (:func:`gridapp.notifications.outbox.write`). The notifications an action causes
(assigned, returned, approval, decided, routed, escalated) are written by the action itself
(:mod:`gridapp.notifications`); this job writes the reminders of deadlines: ``due_soon``
(deadline within 24 hours, not yet passed) and ``overdue`` (deadline passed, still open).

:func:`run` (the periodic job of :mod:`gridapp.jobs`, every minute; by hand ``flask --app wsgi
gridapp remind``) computes them from the current state and hands every undelivered notification to the
configured delivery channels (``GRIDAPP_REMINDER_CHANNELS``, comma-separated; default ``log``).
Running it again at the same moment writes and delivers nothing new (idempotent). Keys:

* notice ``due_soon`` / ``overdue``: one per notice and deadline;
* incident ``due_soon`` / ``overdue``: one per case and deadline (an approved extension moves
  the deadline and so reminds again).

Recipients: of a notice — the grid workers of the place's grid and the secretary of its
community; of an incident — its handler or the members of its department and the secretary of
its community.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import select

from ..core.clock import utcnow
from ..extensions import db
from ..incidents.rules import DEADLINE_STATES, DUE_SOON
from ..models import (
    Incident,
    Notification,
    RectificationNotice,
    User,
)
from ..notifications import delivery, recipients
from ..notifications.outbox import write

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


# --- the job ---------------------------------------------------------------------------------

def _deadline(subject_type, subject_id, deadline, users, label, url, now) -> int:
    if now > deadline:
        kind, text = "overdue", _("%(what)s 已逾期", what=label)
    elif deadline - now <= DUE_SOON:
        kind, text = "due_soon", _("%(what)s 将在 24 小时内到期", what=label)
    else:
        return 0
    return write(users, kind, subject_type, subject_id, text, url,
                  f"{subject_type}:{subject_id}:{kind}:{deadline.isoformat()}", now)


def compute(now: datetime | None = None) -> int:
    """Write the reminders due at ``now`` (UTC) for notices and incidents (rules in the module
    docstring); returns how many rows were written. Does not commit."""
    now = now or utcnow()
    written = 0
    for notice in db.session.scalars(select(RectificationNotice).where(RectificationNotice.status == "issued")):
        written += _deadline("notice", notice.id, notice.deadline_at, recipients.responsible_users(notice.place),
                             _("整改通知书 %(number)s", number=notice.number), f"/notices/{notice.id}", now)
    open_cases = select(Incident).where(Incident.status.in_(DEADLINE_STATES), Incident.deadline_at.is_not(None))
    for inc in db.session.scalars(open_cases):
        users = recipients.incident_handlers(inc) | recipients.secretaries(inc.community_code)
        written += _deadline("incident", inc.id, inc.deadline_at, users, _("事件 #%(id)s", id=inc.id),
                             f"/cases/{inc.id}", now)
    return written


def deliver(now: datetime | None = None, channel_names: str = "log") -> int:
    """Hand every undelivered notification to the channels of ``channel_names`` (the log), plan its
    deliveries to the channels its user chose (:func:`gridapp.notifications.delivery.plan_for`)
    and mark it delivered; returns how many. A channel that raises leaves that notification for
    the next run."""
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
        delivery.plan_for(n, now)
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
