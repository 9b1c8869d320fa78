"""The handler role (承办人, issue 22): no area of its own; the cases dispatched to them or their
department, their 待办 and notifications; no area figures; every page of the navigation opens."""
from __future__ import annotations

from datetime import timedelta

from caseutil import GRID, OTHER_GRID, T0, make_case

from gridapp.core.roles import RANK, SCOPE_LEVEL
from gridapp.incidents import workflow
from gridapp.models import DepartmentMember, Notification, Role
from gridapp.notifications import todo

H = timedelta(hours=1)


def test_a_handler_acts_on_the_cases_dispatched_to_their_department_only(tx, make_user, client, login):
    assert Role.HANDLER == "handler" and "handler" not in SCOPE_LEVEL and RANK["handler"] == RANK["worker"]
    handler, sec = make_user("handler"), make_user("secretary", GRID[:12])
    tx.add(DepartmentMember(department_code="DEMO-HW", user_id=handler.id))
    reporter = make_user("worker", grids=[GRID])
    mine = make_case(reporter, "filed", grid=GRID, reported_at=T0)
    other = make_case(reporter, "filed", grid=OTHER_GRID, reported_at=T0)
    tx.commit()
    workflow.perform(sec, mine.id, "dispatch", {"department_code": "DEMO-HW"}, now=T0 + H)
    assert [n.kind for n in tx.query(Notification).filter_by(user_id=handler.id)] == ["assigned"]
    assert [(t.kind, t.id) for t in todo.work_of(handler)] == [("incident", mine.id)]
    workflow.perform(handler, mine.id, "start", {}, now=T0 + 2 * H)
    workflow.perform(handler, mine.id, "extend", {"hours": 12, "note": "等待材料"}, now=T0 + 3 * H)
    assert tx.query(Notification).filter_by(user_id=sec.id, kind="approval").count() == 1  # rank 2 > 1
    login(handler.username)
    assert client.get(f"/cases/{mine.id}").status_code == 200
    assert client.get(f"/cases/{other.id}").status_code == 404  # not theirs: not revealed
    for path in ("/dashboard", "/coverage-check", "/org"):
        assert client.get(path).status_code == 403, path
    home = client.get("/")
    assert home.status_code == 200 and "承办人" in home.text
    for link in ("/dashboard", "/coverage-check", "/org\""):
        assert f'href="{link}' not in home.text  # no office links in the navigation
    for path in ("/tasks", "/cases", "/cases/map", "/notifications", "/notifications/channels", "/disputes",
                 "/places", "/notices", "/map", "/incidents/new"):
        assert client.get(path).status_code < 500, path


def test_create_user_accepts_the_handler_role_without_scope(app, tx):
    result = app.test_cli_runner().invoke(args=["gridapp", "create-user", "--username", "handler-cli",
                                                "--role", "handler", "--password", "Handler-password-1"])
    assert result.exit_code == 0, result.output
