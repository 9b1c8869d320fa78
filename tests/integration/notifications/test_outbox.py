"""Notifications written by the action that causes them, in its transaction (issue 22), and
我的待办 across every kind of work."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import placeutil as pu
import pytest
from caseutil import PERSON, T0, grid_point, make_case
from placeutil import cast_fixture  # noqa: F401 (the fixture cast)
from sqlalchemy import select

from gridapp.core.errors import Conflict, NotFound
from gridapp.disputes import present as dispute_present
from gridapp.disputes import register as dispute_register
from gridapp.disputes import workflow as dispute_workflow
from gridapp.incidents import present as case_present
from gridapp.incidents import workflow
from gridapp.inspections import notices as rectification
from gridapp.models import DepartmentMember, Notification
from gridapp.notifications import inbox, todo


def _of(tx, user, **where):
    q = select(Notification).where(Notification.user_id == user.id)
    for key, value in where.items():
        q = q.where(getattr(Notification, key) == value)
    return list(tx.scalars(q.order_by(Notification.id)))


@pytest.fixture
def handler(tx):
    user = pu.place_user(tx, "outbox-handler", "worker")
    tx.flush()
    tx.add(DepartmentMember(department_code="DEMO-SZ", user_id=user.id))
    tx.commit()
    return user


def test_dispatch_tells_the_handler_in_its_transaction_and_a_refused_one_tells_nobody(tx, cast, handler):
    sec = cast["sec"]
    inc = make_case(cast["worker"], "filed", grid=pu.G1, reported_at=T0, category="0102")
    tx.commit()
    with pytest.raises(NotFound):  # an unknown handler: refused, nothing written
        workflow.perform(sec, inc.id, "dispatch", {"handler": "nobody-at-all"}, now=T0 + pu.H)
    with pytest.raises(Conflict):  # a stale version: refused, nothing written
        workflow.perform(sec, inc.id, "dispatch", {"handler": handler.username}, version=99, now=T0 + pu.H)
    assert _of(tx, handler) == []
    workflow.perform(sec, inc.id, "dispatch", {"handler": handler.username}, now=T0 + pu.H)
    [told] = _of(tx, handler)
    assert (told.kind, told.subject_type, told.subject_id, told.url) == ("assigned", "incident", inc.id,
                                                                        f"/cases/{inc.id}")
    assert told.created_at == T0 + pu.H and f"事件 #{inc.id}" in told.message and "派遣" in told.message
    assert _of(tx, sec) == []  # the actor is not told of their own action
    assert inbox.unread_count(handler) == 1
    # the approver is told exactly what is asked: the hours, the new deadline (local time), the reason
    workflow.perform(handler, inc.id, "start", {}, now=T0 + 2 * pu.H)
    workflow.perform(handler, inc.id, "extend", {"hours": 24, "note": "等待配件"}, now=T0 + 3 * pu.H)
    [ask] = _of(tx, sec, kind="approval")
    local = ZoneInfo("Asia/Shanghai")
    new_deadline = (inc.deadline_at + timedelta(hours=24)).astimezone(local).strftime("%Y-%m-%d %H:%M")
    assert "申请“延期”" in ask.message and "24 小时" in ask.message and new_deadline in ask.message
    assert "理由：等待配件" in ask.message
    shown = case_present.case_dict(sec, inc)  # the case page shows the same words, and action labels
    assert shown["pending_approval"]["label"] == "延期" and new_deadline in shown["pending_approval"]["detail"]
    assert [e["action_label"] for e in shown["history"]] == ["派遣", "开始处置", "延期"]
    workflow.perform(sec, inc.id, "approve", {"approved": True}, now=T0 + 4 * pu.H)
    assert [n.kind for n in _of(tx, handler)] == ["assigned", "decided"]
    assert "已批准" in _of(tx, handler, kind="decided")[0].message


def test_secretary_todo_lists_a_new_dispute_and_a_notice_awaiting_approval(tx, cast, client, login, make_user):
    w, sec = cast["worker"], cast["sec"]
    sec2 = make_user("secretary", pu.COMMUNITY)  # a second secretary of the community, who logs in
    lon, lat = grid_point(pu.G1)
    dispute = dispute_register.register(w, {"type_code": "02", "summary": "待办测试纠纷（虚构）", "lon": lon,
                                            "lat": lat, "source": "worker", "parties": [PERSON]}, now=T0)
    # routed to the handling level (简单 → the community's secretary) at registration
    assert [n.kind for n in _of(tx, sec, subject_type="dispute")] == ["routed"]
    place = pu.make_place(w, pu.G1, "测试待办煤场（虚构）")
    insp = pu.inspect(w, [pu.visit(place, "煤堆未覆盖", "2026-03-05")], T0)
    notice = pu.notice_of(tx, insp, place)
    rectification.act(w, notice.id, "reinspect", {"passed": False, "note": "仍未覆盖"}, now=T0 + 48 * pu.H)
    rectification.act(w, notice.id, "escalate", {"measure": "fine", "note": "复查不合格"}, now=T0 + 49 * pu.H)
    asked = _of(tx, sec, subject_type="notice", kind="approval")
    assert len(asked) == 1 and "措施：罚款" in asked[0].message
    work = todo.work_of(sec, T0 + 50 * pu.H)
    by_subject = {(t.kind, t.id): t for t in work}
    d, n = by_subject[("dispute", dispute.id)], by_subject[("notice", notice.id)]
    assert "受理调解" in d.actions and d.deadline_at == dispute.deadline_at and not d.approval
    assert n.approval and "审批" in n.actions and n.deadline_at == notice.deadline_at
    assert work.index(n) < work.index(d)  # approvals first
    assert ("dispute", dispute.id) not in {(t.kind, t.id) for t in todo.work_of(w, T0 + 50 * pu.H)}
    # and on the page of the other secretary of the community
    login(sec2.username)
    page = client.get("/tasks").text
    assert f'data-kind="dispute" data-id="{dispute.id}"' in page and f'data-kind="notice" data-id="{notice.id}"' in page
    assert "待审批" in page and "测试待办煤场（虚构）" in page
    # a dispute's extension asks the township with the days, the new deadline and the reason
    dispute_workflow.perform(sec, dispute.id, "accept", {}, now=T0 + pu.H)
    dispute_workflow.perform(sec, dispute.id, "extend", {"days": 10, "note": "当事人外出"}, now=T0 + 2 * pu.H)
    [ask] = _of(tx, cast["town"], subject_type="dispute", kind="approval")
    assert "10 天，新时限" in ask.message and "理由：当事人外出" in ask.message
    shown = dispute_present.dispute_dict(cast["town"], dispute)
    assert shown["pending_approval"]["label"] == "延期" and "10 天" in shown["pending_approval"]["detail"]
    assert [e["action_label"] for e in shown["history"]] == ["登记", "受理调解", "延期"]
    assert shown["history"][0]["actor_name"] == w.display_name


def test_notification_page_marks_read_and_unread(tx, cast, client, login, csrf_of, make_user):
    handler = make_user("worker")
    tx.add(DepartmentMember(department_code="DEMO-SZ", user_id=handler.id))
    inc = make_case(cast["worker"], "filed", grid=pu.G1, reported_at=T0, category="0102")
    tx.commit()
    workflow.perform(cast["sec"], inc.id, "dispatch", {"handler": handler.username}, now=T0 + pu.H)
    login(handler.username)
    assert client.get("/notifications/unread").get_json() == {"unread": 1}
    page = client.get("/notifications").text
    [told] = _of(tx, handler)
    assert f'class="unread" data-kind="assigned" data-id="{told.id}"' in page
    client.post("/notifications", data={"csrf_token": csrf_of(page), "op": "read", "id": str(told.id)})
    assert client.get("/notifications/unread").get_json() == {"unread": 0}
    assert f'data-id="{told.id}"' not in client.get("/notifications?unread=1").text
    client.post("/notifications", data={"csrf_token": csrf_of(page), "op": "unread", "id": str(told.id)})
    assert client.get("/notifications/unread").get_json() == {"unread": 1}
    assert f'data-id="{told.id}"' in client.get("/notifications?unread=1").text
    assert client.get("/notifications/unread").headers["Cache-Control"] == "no-store"
