"""The reminder job and the notification centre (issue #10), on PostGIS."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from placeutil import (
    G1,
    T0,
    H,
    inspect,
    make_place,
    notice_of,
    place_cast,
    place_user,
    visit,
)
from sqlalchemy import func, select

from gridapp.incidents import workflow
from gridapp.models import Notification
from gridapp.reminders import service as reminders


@pytest.fixture
def cast(tx):
    return place_cast(tx)


def test_deadline_reminders_across_midnight_in_shanghai(tx, cast):
    w, sec = cast["worker"], cast["sec"]
    a = make_place(w, G1, "测试书店（虚构）", "shudian")
    insp = inspect(w, [{"place_id": a.id, "findings": "无证经营",
                         "notice": {"requirements": "办理许可证", "deadline": "2026-03-10"}}], T0)
    n = notice_of(tx, insp, a)

    def mine(kind):
        return tx.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == w.id, Notification.subject_id == n.id, Notification.kind == kind))

    # 9 March 23:00 local (more than 24 h before 10 March 23:59:59): nothing yet
    reminders.compute(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))
    assert mine("due_soon") == 0
    # 10 March 00:30 local = 9 March 16:30 UTC: within 24 h → due soon
    reminders.compute(datetime(2026, 3, 9, 16, 30, tzinfo=UTC))
    assert mine("due_soon") == 1 and mine("overdue") == 0
    # 10 March 23:59:00 local: still due soon, not overdue, not written twice
    reminders.compute(datetime(2026, 3, 10, 15, 59, tzinfo=UTC))
    assert mine("due_soon") == 1 and mine("overdue") == 0
    # 11 March 00:00:30 local: overdue, once, for the worker and the secretary
    reminders.compute(datetime(2026, 3, 10, 16, 0, 30, tzinfo=UTC))
    reminders.compute(datetime(2026, 3, 10, 17, 0, tzinfo=UTC))
    assert mine("overdue") == 1
    assert tx.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == sec.id, Notification.subject_id == n.id, Notification.kind == "overdue")) == 1


class RecordingChannel:
    """A delivery channel behind the same interface as SMS/WeCom/e-mail would be."""

    name = "record"
    sent: list = []

    def send(self, notification, user):
        self.sent.append((user.username, notification.kind, notification.dedupe_key))


def test_reminder_job_is_idempotent(app, tx, cast, monkeypatch):
    monkeypatch.setitem(reminders.CHANNELS, "record", RecordingChannel)
    monkeypatch.setitem(app.config, "REMINDER_CHANNELS", "log,record")
    RecordingChannel.sent = []
    w = cast["worker"]
    handler = place_user(tx, "handler", "worker")
    tx.commit()
    a = make_place(w, G1, "测试出租屋（虚构）", "chuzuwu")
    inspect(w, [visit(a, "群租", "2026-03-02")], T0)
    # an incident dispatched to a handler, past its deadline
    from caseutil import make_case
    inc = make_case(w, "filed", grid=G1, reported_at=T0, category="0102")
    tx.commit()
    workflow.perform(cast["sec"], inc.id, "dispatch", {"handler": handler.username}, now=T0 + H)
    now = T0 + 100 * H
    first = reminders.run(now, app.config["REMINDER_CHANNELS"])
    assert first["written"] >= 4 and first["delivered"] >= first["written"]
    assert {n.kind for n in reminders.for_user(handler)} == {"assigned", "overdue"}
    assert {k for u, k, _key in RecordingChannel.sent if u == "p-handler"} == {"assigned", "overdue"}
    assert len(RecordingChannel.sent) == first["delivered"]
    count = tx.scalar(select(func.count()).select_from(Notification))
    assert reminders.run(now, app.config["REMINDER_CHANNELS"]) == {"written": 0, "delivered": 0}
    assert len(RecordingChannel.sent) == first["delivered"]  # nothing sent twice
    assert tx.scalar(select(func.count()).select_from(Notification)) == count
    result = app.test_cli_runner().invoke(args=["gridapp", "remind", "--now", now.isoformat()])
    assert result.exit_code == 0 and "0 written, 0 delivered" in result.output
    # reading
    assert reminders.unread_count(handler) == 2 and reminders.mark_read(handler) == 2
    assert reminders.unread_count(handler) == 0


def test_incident_rework_and_approval_reminders(tx, cast):
    """Returned for rework and approval wanted, for incidents, from their history and approvals."""
    from caseutil import make_case
    w, sec = cast["worker"], cast["sec"]
    handler = place_user(tx, "handler2", "worker")
    tx.commit()
    inc = make_case(w, "filed", grid=G1, reported_at=T0, category="0102")
    tx.commit()
    workflow.perform(sec, inc.id, "dispatch", {"handler": handler.username}, now=T0 + H)
    reminders.compute(T0 + 1.5 * H)  # the job runs between the steps
    assert [n.kind for n in reminders.for_user(handler)] == ["assigned"]
    workflow.perform(handler, inc.id, "start", {}, now=T0 + 2 * H)
    workflow.perform(handler, inc.id, "handle", {"note": "已处理"}, now=T0 + 3 * H)
    workflow.perform(w, inc.id, "verify", {"passed": False, "note": "未清理干净"}, now=T0 + 4 * H)
    workflow.perform(handler, inc.id, "extend", {"hours": 24, "note": "需要材料"}, now=T0 + 5 * H)
    reminders.compute(T0 + 6 * H)
    kinds = {n.kind for n in reminders.for_user(handler) if n.subject_type == "incident"}
    assert {"assigned", "returned"} <= kinds
    assert [n.kind for n in reminders.for_user(sec)] == ["approval"]  # rank 2 > the handler's 1
    assert "approval" in {n.kind for n in reminders.for_user(cast["town"])}
    assert reminders.compute(T0 + 6 * H) == 0


