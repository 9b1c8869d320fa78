"""我的待办: every kind of work waiting for a user, each with its deadline — incidents (the
actions the table allows now), disputes (受理 and mediation by the handling level, approvals),
rectification notices (re-inspection due, escalation, approvals). Reads only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..core import params as p
from ..core.clock import utcnow
from ..disputes import rules as dispute_rules
from ..disputes.workflow import DISPUTE, dispute_filter
from ..extensions import db
from ..incidents import queries as incident_queries
from ..incidents.present import deadline_flags
from ..incidents.rules import DUE_SOON, STATE_NAMES
from ..inspections import rules as notice_rules
from ..inspections.notices import NOTICE, notice_filter
from ..models import Dispute, RectificationNotice, User

#: Dispute actions that make a dispute the user's work (not linking, visiting or re-routing).
DISPUTE_WORK = ("accept", "session", "succeed", "fail", "refer", "perform", "approve")
#: Notice actions that make a notice the user's work.
NOTICE_WORK = ("reinspect", "escalate", "approve")


@dataclass
class Task:
    """One item of 我的待办: ``kind`` (incident | dispute | notice), the subject's id and title,
    its state's name, its deadline (UTC, or None), the labels of the actions waiting,
    ``approval`` (a decision is asked of the user), flags, and the page's path."""

    kind: str
    id: int
    title: str
    state: str
    deadline_at: datetime | None
    actions: list[str]
    url: str
    approval: bool = False
    overdue: bool = False
    due_soon: bool = False


def _flags(deadline: datetime | None, is_open: bool, now: datetime) -> dict:
    if deadline is None or not is_open:
        return {"overdue": False, "due_soon": False}
    return {"overdue": now > deadline, "due_soon": now <= deadline and deadline - now <= DUE_SOON}


def incident_tasks(user: User, now: datetime) -> list[Task]:
    """The incidents waiting for the user (:func:`gridapp.incidents.queries.my_tasks`)."""
    out = []
    for incident, rows in incident_queries.my_tasks(user, now):
        flags = deadline_flags(incident, now)
        out.append(Task("incident", incident.id, _("事件 #%(id)s（%(category)s）", id=incident.id,
                                                   category=incident.category.name),
                        str(STATE_NAMES[incident.status]), incident.deadline_at, [str(t.label) for t in rows],
                        f"/cases/{incident.id}", any(t.action == "approve" for t in rows),
                        flags["overdue"], flags["due_soon"]))
    return out


def dispute_tasks(user: User, now: datetime) -> list[Task]:
    """Open disputes in scope on which the user may take a handling action or decide a request."""
    out = []
    q = select(Dispute).where(dispute_filter(user), Dispute.status.in_(dispute_rules.OPEN_STATES)) \
        .order_by(Dispute.deadline_at, Dispute.id).limit(p.PER_PAGE_MAX)
    for d in db.session.scalars(q):
        rows = [t for t in DISPUTE.allowed(user, d, now) if t.action in DISPUTE_WORK]
        if rows:
            out.append(Task("dispute", d.id, DISPUTE.title(d), str(dispute_rules.STATE_NAMES[d.status]), d.deadline_at,
                            list(dict.fromkeys(str(t.label) for t in rows)), DISPUTE.link(d),
                            any(t.action == "approve" for t in rows), **_flags(d.deadline_at, True, now)))
    return out


def notice_tasks(user: User, now: datetime) -> list[Task]:
    """Notices in scope whose re-inspection is due, that may be escalated, or whose escalation
    waits for the user's decision."""
    out = []
    q = select(RectificationNotice).where(notice_filter(user), RectificationNotice.status.in_(
        ("issued", "failed", "escalation_pending"))).order_by(RectificationNotice.deadline_at).limit(p.PER_PAGE_MAX)
    for n in db.session.scalars(q):
        rows = [t for t in NOTICE.allowed(user, n, now) if t.action in NOTICE_WORK]
        if rows:
            out.append(Task("notice", n.id, NOTICE.title(n), str(notice_rules.STATE_NAMES[NOTICE.state(n, now)]),
                            n.deadline_at, list(dict.fromkeys(str(t.label) for t in rows)), NOTICE.link(n),
                            any(t.action == "approve" for t in rows),
                            **_flags(n.deadline_at, n.status == "issued", now)))
    return out


def work_of(user: User, now: datetime | None = None) -> list[Task]:
    """Everything waiting for the user: approvals first, then by deadline (none last)."""
    now = now or utcnow()
    tasks = incident_tasks(user, now) + dispute_tasks(user, now) + notice_tasks(user, now)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(tasks, key=lambda t: (not t.approval, t.deadline_at or far, t.kind, t.id))

