"""A user's notifications: the list, the unread count (the badge), marking read."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from ..core import params as p
from ..core.clock import utcnow
from ..core.errors import BadInput
from ..extensions import db
from ..models import Notification, User


def for_user(user: User, unread_only: bool = False, limit: int = 200) -> list[Notification]:
    """The user's notifications, newest first (at most ``limit``)."""
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
    """How many unread notifications the user has (one index probe: ix_notifications_unread)."""
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None)))


def mark_read(user: User, notification_id=None, now: datetime | None = None, unread: bool = False) -> int:
    """Mark one (or, without id, all) of the user's notifications read (``unread=True``: one back
    to unread); one transaction. Returns how many changed (a malformed or foreign id: 0)."""
    now = now or utcnow()
    q = update(Notification).where(Notification.user_id == user.id)
    if notification_id is not None:
        try:
            q = q.where(Notification.id == p.integer(notification_id, "id", 1, p.INT_MAX))
        except BadInput:
            return 0
    if unread:
        q = q.where(Notification.read_at.is_not(None)).values(read_at=None)
    else:
        q = q.where(Notification.read_at.is_(None)).values(read_at=now)
    changed = db.session.execute(q).rowcount
    db.session.commit()
    return changed
