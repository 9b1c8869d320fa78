"""The casework core: every case kind answers the same wrong request the same way (issue 16).

One fixed order of checks (gridapp.core.casework.perform): scope 404 → actor 403 → version
(400 not an integer, 409 stale) → state 409 → parameters 400 → effect. Tried on an incident, a
dispute and a rectification notice, each made through its own domain action.
"""
from __future__ import annotations

import pytest
from caseutil import COMMUNITY, GRID, OTHER_COMMUNITY, grid_point, make_case

from gridapp.core.errors import BadInput, Conflict, Forbidden, NotFound
from gridapp.disputes import register as dispute_register
from gridapp.disputes import workflow as dispute_workflow
from gridapp.extensions import db
from gridapp.incidents import workflow as incident_workflow
from gridapp.inspections import notices
from gridapp.inspections import service as inspections
from gridapp.places import service as places


def _incident(cast):
    case = make_case(cast["worker"])
    db.session.commit()
    return incident_workflow.perform, case, "accept"


def _dispute(cast):
    lon, lat = grid_point(GRID)
    d = dispute_register.register(cast["worker"], {
        "type_code": "02", "summary": "邻里噪音纠纷（虚构）", "lon": lon, "lat": lat, "source": "worker",
        "parties": [{"kind": "person", "name": "张某某"}]})
    return dispute_workflow.perform, d, "accept"


def _notice(cast):
    lon, lat = grid_point(GRID)
    place = places.create(cast["worker"], {"name": "测试煤场（虚构）", "type": "meichang", "lon": lon, "lat": lat})
    inspection = inspections.record_inspection(cast["worker"], {
        "kind": "planned", "members": ["张某", "李某"], "vehicle_trips": 1, "department": "测试单位",
        "visits": [{"place_id": place.id, "findings": "煤堆未覆盖",
                    "checklist": {"煤堆全覆盖": "fail", "按时洒水降尘": "pass", "出场车辆冲洗": "na"},
                    "notice": {"requirements": "三日内全覆盖", "deadline": "2999-12-31"}}]})
    notice = next(n for n in notices.notices(cast["secretary"]) if n.inspection_id == inspection.id)
    return notices.act, notice, "reinspect"


KINDS = {"incident": _incident, "dispute": _dispute, "notice": _notice}
#: an action of each kind that the grid worker may not take in the case's first state
WRONG_ACTOR_ACTION = {"incident": "accept", "dispute": "accept", "notice": "approve"}


@pytest.fixture
def cast(make_user):
    return {"worker": make_user("worker", grids=[GRID]), "secretary": make_user("secretary", COMMUNITY),
            "other_secretary": make_user("secretary", OTHER_COMMUNITY)}


def _right_actor(kind, cast):
    return cast["worker"] if kind == "notice" else cast["secretary"]


def _params(kind):
    return {"passed": True} if kind == "notice" else {}


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_actor_with_a_stale_version_is_403_on_every_kind(tx, cast, kind):
    perform, case, _ = KINDS[kind](cast)
    version = case.version
    with pytest.raises(Forbidden) as err:
        perform(cast["worker"], case.id, WRONG_ACTOR_ACTION[kind], {"approved": True}, version=version + 7)
    assert err.value.status == 403 and err.value.code == "action_forbidden"
    db.session.refresh(case)
    assert case.version == version


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("version", ["abc", "1.5", [], "9" * 40])
def test_a_version_that_is_not_an_integer_is_400_on_every_kind(tx, cast, kind, version):
    perform, case, action = KINDS[kind](cast)
    before = case.version
    with pytest.raises(BadInput) as err:
        perform(_right_actor(kind, cast), case.id, action, _params(kind), version=version)
    assert (err.value.status, err.value.code, err.value.field) == (400, "invalid_version", "version")
    db.session.refresh(case)
    assert case.version == before


@pytest.mark.parametrize("kind", KINDS)
def test_right_actor_with_a_stale_version_is_409_and_current_is_accepted(tx, cast, kind):
    perform, case, action = KINDS[kind](cast)
    current = case.version
    with pytest.raises(Conflict) as err:
        perform(_right_actor(kind, cast), case.id, action, _params(kind), version=current - 1)
    assert err.value.code == "stale_version" and err.value.details == {"version": current}
    done = perform(_right_actor(kind, cast), case.id, action, _params(kind), version=str(current))
    assert done.version == current + 1


@pytest.mark.parametrize("kind", KINDS)
def test_outside_scope_is_404_before_anything_else(tx, cast, kind):
    perform, case, action = KINDS[kind](cast)
    with pytest.raises(NotFound) as err:
        perform(cast["other_secretary"], case.id, action, _params(kind), version="abc")
    assert err.value.status == 404 and err.value.code == f"{kind}_not_found"


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_action_and_state_refusals(tx, cast, kind):
    perform, case, action = KINDS[kind](cast)
    with pytest.raises(NotFound) as err:
        perform(_right_actor(kind, cast), case.id, "teleport", {})
    assert err.value.code == "unknown_action"
    perform(_right_actor(kind, cast), case.id, action, _params(kind))
    with pytest.raises(Conflict) as err:  # the same action again: the state has moved on
        perform(_right_actor(kind, cast), case.id, action, _params(kind))
    assert err.value.code == "invalid_state"


URLS = {"incident": "/api/v1/incidents/{id}/actions/{action}", "dispute": "/api/v1/disputes/{id}/actions/{action}",
        "notice": "/api/v1/notices/{id}/actions/{action}"}


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_answers_the_same_on_every_kind(client, bearer, tx, cast, kind):
    _perform, case, action = KINDS[kind](cast)
    worker = bearer(cast["worker"].username)
    right = bearer((cast["worker"] if kind == "notice" else cast["secretary"]).username)
    wrong = client.post(URLS[kind].format(id=case.id, action=WRONG_ACTOR_ACTION[kind]),
                        json={"version": case.version + 7, "approved": True}, headers=worker)
    assert wrong.status_code == 403 and wrong.get_json()["error"]["code"] == "action_forbidden"
    bad = client.post(URLS[kind].format(id=case.id, action=action), json={"version": "abc", **_params(kind)},
                      headers=right)
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "invalid_version" and bad.get_json()["error"]["field"] == "version"
