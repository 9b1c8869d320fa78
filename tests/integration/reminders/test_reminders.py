"""The reminder job and the notification centre (issue #10), on PostGIS."""
from __future__ import annotations

from datetime import UTC, datetime

import placeutil as pu
from placeutil import cast_fixture  # noqa: F401 (the fixture cast)
from sqlalchemy import func, select

from gridapp.incidents import workflow
from gridapp.models import DepartmentMember, Notification
from gridapp.notifications import inbox
from gridapp.reminders import service as reminders


def test_deadline_reminders_across_midnight_in_shanghai(tx, cast):
    w, sec = cast["worker"], cast["sec"]
    a = pu.make_place(w, pu.G1, "测试书店（虚构）", "shudian")
    insp = pu.inspect(w, [{"place_id": a.id, "findings": "无证经营",
                         "notice": {"requirements": "办理许可证", "deadline": "2026-03-10"}}], pu.T0)
    n = pu.notice_of(tx, insp, a)

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
    handler = pu.place_user(tx, "handler", "worker")
    tx.flush()
    tx.add(DepartmentMember(department_code="DEMO-SZ", user_id=handler.id))  # a handler of the district
    tx.commit()
    a = pu.make_place(w, pu.G1, "测试出租屋（虚构）", "chuzuwu")
    pu.inspect(w, [pu.visit(a, "群租", "2026-03-02")], pu.T0)
    # an incident dispatched to a handler, past its deadline
    from caseutil import make_case
    inc = make_case(w, "filed", grid=pu.G1, reported_at=pu.T0, category="0102")
    tx.commit()
    workflow.perform(cast["sec"], inc.id, "dispatch", {"handler": handler.username}, now=pu.T0 + pu.H)
    now = pu.T0 + 100 * pu.H
    first = reminders.run(now, app.config["REMINDER_CHANNELS"])
    assert first["written"] >= 4 and first["delivered"] >= first["written"]
    assert {n.kind for n in inbox.for_user(handler)} == {"assigned", "overdue"}
    assert {k for u, k, _key in RecordingChannel.sent if u == "p-handler"} == {"assigned", "overdue"}
    assert len(RecordingChannel.sent) == first["delivered"]
    count = tx.scalar(select(func.count()).select_from(Notification))
    assert reminders.run(now, app.config["REMINDER_CHANNELS"]) == {"written": 0, "delivered": 0}
    assert len(RecordingChannel.sent) == first["delivered"]  # nothing sent twice
    assert tx.scalar(select(func.count()).select_from(Notification)) == count
    result = app.test_cli_runner().invoke(args=["gridapp", "remind", "--now", now.isoformat()])
    assert result.exit_code == 0 and "0 written, 0 delivered" in result.output
    # reading
    assert inbox.unread_count(handler) == 2 and inbox.mark_read(handler) == 2
    assert inbox.unread_count(handler) == 0


def test_incident_rework_and_approval_reminders(tx, cast):
    """Returned for rework and approval wanted, for incidents, from their history and approvals."""
    from caseutil import make_case
    w, sec = cast["worker"], cast["sec"]
    handler = pu.place_user(tx, "handler2", "worker")
    tx.flush()
    tx.add(DepartmentMember(department_code="DEMO-SZ", user_id=handler.id))  # a handler of the district
    tx.commit()
    inc = make_case(w, "filed", grid=pu.G1, reported_at=pu.T0, category="0102")
    tx.commit()
    workflow.perform(sec, inc.id, "dispatch", {"handler": handler.username}, now=pu.T0 + pu.H)
    reminders.compute(pu.T0 + 1.5 * pu.H)  # the job runs between the steps
    assert [n.kind for n in inbox.for_user(handler)] == ["assigned"]
    workflow.perform(handler, inc.id, "start", {}, now=pu.T0 + 2 * pu.H)
    workflow.perform(handler, inc.id, "handle", {"note": "已处理"}, now=pu.T0 + 3 * pu.H)
    workflow.perform(w, inc.id, "verify", {"passed": False, "note": "未清理干净"}, now=pu.T0 + 4 * pu.H)
    workflow.perform(handler, inc.id, "extend", {"hours": 24, "note": "需要材料"}, now=pu.T0 + 5 * pu.H)
    reminders.compute(pu.T0 + 6 * pu.H)
    kinds = {n.kind for n in inbox.for_user(handler) if n.subject_type == "incident"}
    assert {"assigned", "returned"} <= kinds
    assert [n.kind for n in inbox.for_user(sec)] == ["approval"]  # rank 2 > the handler's 1
    assert "approval" in {n.kind for n in inbox.for_user(cast["town"])}
    assert reminders.compute(pu.T0 + 6 * pu.H) == 0


