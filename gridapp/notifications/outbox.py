"""The outbox: the one way a notification is written (in the caller's transaction — the action
that causes it commits it, or nothing is written), and the announcements of case actions."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import insert

from ..core.clock import utcnow
from ..extensions import db
from ..models import Notification
from .rules import KINDS, MESSAGES


def write(user_ids, kind: str, subject_type: str, subject_id: int, message: str, url: str | None,
          key: str, now: datetime | None = None) -> int:
    """Write one notification per user unless that user already has ``key`` (does not commit: it
    joins the caller's transaction). ``kind``: one of :data:`~.rules.KINDS` (ValueError else).
    Returns how many rows were written."""
    if kind not in KINDS:
        raise ValueError(kind)
    now = now or utcnow()
    written = 0
    for uid in sorted(set(user_ids)):
        result = db.session.execute(insert(Notification).values(
            user_id=uid, kind=kind, subject_type=subject_type, subject_id=subject_id, message=message[:2000],
            url=url, dedupe_key=key[:120], created_at=now)
            .on_conflict_do_nothing(constraint="uq_notifications_user_dedupe").returning(Notification.id))
        written += len(result.all())
    return written


def message_of(kind: str, what: str, action: str, approved: bool | None = None, detail: str = "") -> str:
    """The text of a notification an action causes (:data:`~.rules.MESSAGES`)."""
    key = f"{kind}:{'approved' if approved else 'refused'}" if kind == "decided" else kind
    return str(MESSAGES[key]) % {"what": what, "action": action, "detail": detail}


def request_words(asked: str | None, pending) -> str:
    """A request in words for its approvers: ``asked`` (e.g. "24 小时，新时限 …") and the
    requester's reason, in brackets; empty when there is neither."""
    parts = [asked] if asked else []
    if pending is not None and pending.note:
        parts.append(_("理由：%(note)s", note=pending.note))
    return "（" + "；".join(parts) + "）" if parts else ""


class Announcing:
    """Mixed into a case kind (before :class:`~gridapp.core.casework.StoredKind`): writes the
    notifications :func:`gridapp.core.casework.perform` announces. The kind provides
    :meth:`audience` (user ids of an audience name), :meth:`title` and :meth:`link` of a case, and
    may give :meth:`detail` (what a request asks, e.g. hours)."""

    name = "case"

    def audience(self, case, to: str, pending) -> set[int]:
        """User ids of the audience ``to`` of ``case`` (``pending``: the request, if any)."""
        raise NotImplementedError

    def title(self, case) -> str:
        """How a notification names the case (e.g. 事件 #12)."""
        raise NotImplementedError

    def link(self, case) -> str:
        """The path of the case's page."""
        raise NotImplementedError

    def detail(self, case, pending) -> str:
        """What a request asks, in words (default none)."""
        return ""

    def announce(self, user, case, announcement, now: datetime) -> None:
        """Write the announcement's notifications: its audience less the actor, keyed by the case,
        the kind, the audience and the history row (once)."""
        notify = announcement.notify
        users = self.audience(case, notify.to, announcement.pending) - {user.id}
        text = message_of(notify.kind, self.title(case), announcement.label, announcement.approved,
                          self.detail(case, announcement.pending) if notify.kind == "approval" else "")
        write(users, notify.kind, self.name, case.id, text, self.link(case),
              f"{self.name}:{case.id}:{notify.kind}:{notify.to}:{announcement.event_id}", now)
