"""The closed loop's state machine on PostGIS: every allowed and forbidden transition per actor,
approvals, optimistic locking, history."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from caseutil import COMMUNITY, DISTRICT, GRID, OTHER_COMMUNITY, OTHER_GRID, PARAMS, T0, TOWNSHIP, make_case
from sqlalchemy import select

from gridapp.core import casework
from gridapp.errors import BadInput, Conflict, Forbidden, NotFound
from gridapp.incidents import present as case_present
from gridapp.incidents import rules as case_rules
from gridapp.incidents import workflow
from gridapp.incidents.workflow import STATE_NAMES, TRANSITIONS
from gridapp.models import GridAssignment, IncidentApproval, IncidentEvent, User

KINDS = ("worker", "secretary", "township", "district", "admin", "assignee", "reporter")
OUTSIDERS = ("other_secretary", "other_worker")


def quick_user(tx, name: str, role: str, scope: str | None = None, grids=()) -> User:
    """A user who never logs in (no password hashing: the matrix creates hundreds)."""
    user = User(username=f"t-{name}", display_name=f"测试{name}", role=role, scope_code=scope,
                password_hash="!")
    user.assignments = [GridAssignment(grid_code=g) for g in grids]
    tx.add(user)
    return user


@pytest.fixture
def cast(tx):
    """One user per actor kind (each holding exactly that kind for a case in GRID), outsiders."""
    users = {"worker": quick_user(tx, "worker", "worker", grids=[GRID]),
             "secretary": quick_user(tx, "secretary", "secretary", COMMUNITY),
             "township": quick_user(tx, "township", "township", TOWNSHIP),
             "district": quick_user(tx, "district", "district", DISTRICT),
             "admin": quick_user(tx, "admin", "admin"),
             "assignee": quick_user(tx, "assignee", "worker"),
             "reporter": quick_user(tx, "reporter", "worker", grids=[OTHER_GRID]),
             "other_secretary": quick_user(tx, "other_secretary", "secretary", OTHER_COMMUNITY),
             "other_worker": quick_user(tx, "other_worker", "worker", grids=[OTHER_GRID]),
             "requester": quick_user(tx, "requester", "worker")}
    tx.commit()
    return users


def _case_for(tx, cast, t, state):
    incident = make_case(cast["reporter"], state, handler_id=cast["assignee"].id, department_code="DEMO-SZ")
    if t.action == "approve":
        tx.add(IncidentApproval(incident_id=incident.id, action="extend", data={"hours": 24},
                                requested_by=cast["requester"].id, requested_rank=1, requested_at=T0))
    tx.commit()
    return incident


def _rows_and_actors():
    for t in TRANSITIONS:
        for kind in KINDS + OUTSIDERS:
            yield pytest.param(t, kind, id=f"{t.action}{'-' + t.variant if t.variant else ''}-{kind}")


def _params(t, target_id: int = 1):
    params = dict(PARAMS.get(t.action, {}))
    if t.action == "merge":
        params["into"] = target_id
    if t.action == "verify":
        params = {"passed": t.variant == "passed", "note": "未清理干净"}
    return params


@pytest.mark.parametrize("t,kind", list(_rows_and_actors()))
def test_each_actor_on_each_transition(tx, cast, t, kind):
    state = "dispatched" if t.action == "approve" else t.sources[0]
    incident = _case_for(tx, cast, t, state)
    target = make_case(cast["reporter"]).id if t.action == "merge" else 1
    tx.commit()
    before = incident.version
    if kind in t.roles:
        result = workflow.perform(cast[kind], incident.id, t.action, _params(t, target), version=before, now=T0)
        assert result.version == before + 1
        events = tx.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)).all()
        assert len(events) == 1 and events[0].action == t.action and events[0].actor_id == cast[kind].id
        if t.approval:  # a request only: the state waits for approval
            assert result.status == state and workflow.pending_approval(result).action == t.action
        elif t.action == "approve":
            assert result.deadline_at == T0 + timedelta(hours=73 + 24)
        else:
            assert result.status == t.target and events[0].to_state == t.target
    else:
        expected = NotFound if kind in OUTSIDERS else Forbidden
        with pytest.raises(expected):
            workflow.perform(cast[kind], incident.id, t.action, _params(t, target), version=before, now=T0)
        tx.rollback()
        tx.refresh(incident)
        assert incident.status == state and incident.version == before
        assert tx.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)).all() == []


def _wrong_states():
    for t in TRANSITIONS:
        if t.action == "approve" or t.variant == "failed":
            continue
        for state in STATE_NAMES:
            if state not in t.sources:
                yield pytest.param(t, state, id=f"{t.action}-from-{state}")


@pytest.mark.parametrize("t,state", list(_wrong_states()))
def test_no_transition_outside_the_table(tx, cast, t, state):
    incident = _case_for(tx, cast, t, state)
    actor = next(cast[k] for k in ("admin", "secretary", "assignee") if k in t.roles)
    with pytest.raises(Conflict) as err:
        workflow.perform(actor, incident.id, t.action, _params(t), now=T0)
    assert err.value.code == "invalid_state"
    tx.rollback()
    tx.refresh(incident)
    assert incident.status == state


def test_full_loop_through_the_api_with_history(client, tx, bearer, make_user):
    """Report → accept → file → dispatch → start → handle → verify fail (rework) → handle →
    verify pass → evaluate, by the demo users over HTTP; the history has one entry each."""
    from caseutil import grid_point, jpeg_bytes

    lon, lat = grid_point()
    worker, hongqi, chuzhi = bearer("worker"), bearer("hongqi"), bearer("chuzhi")
    resp = client.post("/api/v1/incidents", json={"category_code": "0102", "description": "井盖缺失",
                                                  "lon": lon, "lat": lat}, headers=worker)
    assert resp.status_code == 201
    case_id = resp.get_json()["id"]

    def act(headers, action, **body):
        version = client.get(f"/api/v1/incidents/{case_id}", headers=headers).get_json()["version"]
        r = client.post(f"/api/v1/incidents/{case_id}/actions/{action}", json={"version": version, **body},
                        headers=headers)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    act(hongqi, "accept")
    filed = act(hongqi, "file")
    assert filed["deadline_at"] and not filed["overdue"]
    assert act(hongqi, "dispatch", department_code="DEMO-SZ")["department_code"] == "DEMO-SZ"
    assert client.get(f"/api/v1/incidents/{case_id}", headers=chuzhi).get_json()["allowed_actions"] == \
        ["defer", "extend", "return", "start"]
    act(chuzhi, "start")
    photo = client.post("/api/v1/photos", data={"file": (io.BytesIO(jpeg_bytes()), "a.jpg")},
                        headers=chuzhi).get_json()["ref"]
    act(chuzhi, "handle", note="已补装井盖", attachments=[photo])
    assert act(worker, "verify", passed=False, note="井盖不匹配")["state"] == "dispatched"
    act(chuzhi, "start")
    act(chuzhi, "handle", note="已更换匹配井盖")
    closed = act(worker, "verify", passed=True)
    assert closed["state"] == "closed" and closed["reworks"] == 1
    final = act(hongqi, "evaluate", rating=5)
    assert final["state"] == "evaluated" and final["rating"] == 5
    actions = [(h["action"], h["from_state"], h["to_state"]) for h in final["history"]]
    assert actions == [("report", None, "reported"), ("accept", "reported", "accepted"), ("file", "accepted", "filed"),
                       ("dispatch", "filed", "dispatched"), ("start", "dispatched", "in_progress"),
                       ("handle", "in_progress", "handled"), ("verify", "handled", "dispatched"),
                       ("start", "dispatched", "in_progress"), ("handle", "in_progress", "handled"),
                       ("verify", "handled", "closed"), ("evaluate", "closed", "evaluated")]
    assert final["history"][5]["attachments"] == [photo] and final["version"] == 11


def test_stale_version_is_409_and_writes_nothing(client, tx, bearer, make_user):
    reporter = make_user("worker", grids=[GRID])
    incident = make_case(reporter)
    tx.commit()
    headers = bearer("hongqi")
    url = f"/api/v1/incidents/{incident.id}/actions/accept"
    assert client.post(url, json={"version": incident.version}, headers=headers).status_code == 200
    again = client.post(f"/api/v1/incidents/{incident.id}/actions/reject",
                        json={"version": 1, "note": "x"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "stale_version"
    case = client.get(f"/api/v1/incidents/{incident.id}", headers=headers).get_json()
    assert case["state"] == "accepted" and case["version"] == 2 and len(case["history"]) == 1


def test_api_errors_are_specific(client, tx, bearer, make_user):
    reporter = make_user("worker", grids=[GRID])
    incident = make_case(reporter, "handled", handler_id=reporter.id)
    tx.commit()
    headers = bearer("hongqi")
    base = f"/api/v1/incidents/{incident.id}/actions"
    r = client.post(f"{base}/verify", json={}, headers=headers)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_passed"
    r = client.post(f"{base}/fly", json={}, headers=headers)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_action"
    r = client.post(f"{base}/accept", json={}, headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    r = client.post(f"{base}/verify", json={"passed": True}, headers=bearer("district"))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "action_forbidden"
    assert client.post(f"{base}/verify", json={"passed": True}).status_code == 401
    assert client.get("/api/v1/incidents/999999999", headers=headers).status_code == 404


def test_side_actions_need_the_next_level(tx, cast):
    incident = make_case(cast["reporter"], "in_progress", handler_id=cast["assignee"].id)
    tx.commit()
    deadline = incident.deadline_at
    workflow.perform(cast["secretary"], incident.id, "extend", {"hours": 48, "note": "需采购材料"}, now=T0)
    assert incident.deadline_at == deadline
    with pytest.raises(Conflict):   # one pending request at a time
        workflow.perform(cast["assignee"], incident.id, "defer", {"note": "x"}, now=T0)
    tx.rollback()
    other_secretary = quick_user(tx, "secretary2", "secretary", COMMUNITY)
    for approver in (cast["secretary"], other_secretary):   # not the requester, not the same rank
        with pytest.raises(Forbidden):
            workflow.perform(approver, incident.id, "approve", {"approved": True}, now=T0)
        tx.rollback()
    workflow.perform(cast["township"], incident.id, "approve", {"approved": True}, now=T0)
    assert incident.deadline_at == deadline + timedelta(hours=48)
    assert case_present.extension_count(incident) == 1
    # refused: nothing moves, the refusal is in the history
    workflow.perform(cast["assignee"], incident.id, "return", {"note": "非本部门"}, now=T0)
    with pytest.raises(BadInput):   # a refusal needs a reason
        workflow.perform(cast["secretary"], incident.id, "approve", {"approved": False}, now=T0)
    tx.rollback()
    workflow.perform(cast["secretary"], incident.id, "approve", {"approved": False, "note": "请继续处置"}, now=T0)
    assert incident.status == "in_progress" and incident.handler_id == cast["assignee"].id
    assert [e.action for e in case_present.history(incident)] == ["extend", "approve", "return", "approve"]
    assert workflow.pending_approval(incident) is None


def test_history_is_append_only_in_the_database(tx, cast):
    import sqlalchemy.exc

    incident = make_case(cast["reporter"])
    tx.commit()
    workflow.perform(cast["secretary"], incident.id, "accept", now=T0)
    event = case_present.history(incident)[0]
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
        tx.execute(IncidentEvent.__table__.update().where(IncidentEvent.id == event.id).values(note="改写"))
    tx.rollback()
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
        tx.execute(IncidentEvent.__table__.delete().where(IncidentEvent.id == event.id))
    tx.rollback()


def test_readme_permission_table_is_the_service_table(app):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text("utf-8")
    with app.test_request_context():
        assert casework.permission_table_markdown(case_rules.TRANSITIONS) in readme
