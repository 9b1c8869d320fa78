"""Disputes on PostGIS: routing by difficulty, every outcome path, the 30-day rule with an
approved extension, PIPL masking and logging of party data, scoping by role, optimistic
locking and the append-only history."""
from __future__ import annotations

from datetime import timedelta

import pytest
from caseutil import (
    COMMUNITY,
    DISTRICT,
    GRID,
    ORG,
    OTHER_COMMUNITY,
    OTHER_GRID,
    PERSON,
    T0,
    TOWNSHIP,
    grid_point,
    make_case,
)
from sqlalchemy import select, text

from gridapp.core import casework
from gridapp.disputes import actions as dispute_actions
from gridapp.disputes import present as dispute_present
from gridapp.disputes import queries as dispute_queries
from gridapp.disputes import register as dispute_register
from gridapp.disputes import rules as dispute_rules
from gridapp.disputes import workflow as dispute_workflow
from gridapp.errors import BadInput, Conflict, Forbidden, NotFound
from gridapp.models import DisputeEvent, PiiView


@pytest.fixture
def cast(make_user):
    return {"worker": make_user("worker", grids=[GRID]), "secretary": make_user("secretary", COMMUNITY),
            "township": make_user("township", TOWNSHIP), "district": make_user("district", DISTRICT),
            "admin": make_user("admin"), "other_secretary": make_user("secretary", OTHER_COMMUNITY),
            "other_worker": make_user("worker", grids=[OTHER_GRID])}


def register(user, grid=GRID, **extra):
    lon, lat = grid_point(grid)
    data = {"type_code": "02", "summary": "邻里噪音纠纷（虚构）", "lon": lon, "lat": lat, "source": "worker",
            "parties": [PERSON, ORG], "amount": "1200.50", "risk_level": "general", **extra}
    return dispute_register.register(user, data, now=extra.pop("now", T0) if "now" in extra else T0)


def act(user, d, action, now=None, **params):
    return dispute_workflow.perform(user, d.id, action, params, now=now or T0 + timedelta(days=1))


def test_register_locates_point_and_masks_parties(tx, cast):
    d = register(cast["worker"])
    assert (d.grid_code, d.community_code, d.district_code) == (GRID, COMMUNITY, DISTRICT)
    assert d.deadline_at - d.registered_at == timedelta(days=30)
    assert float(d.amount) == 1200.5 and d.status == "registered" and d.difficulty == "simple"
    out = dispute_present.dispute_dict(cast["district"], d)
    person, org = out["parties"]
    assert person == {"id": person["id"], "kind": "person", "name": "张**", "id_number": "610202********123X",
                      "phone": "100****5678"}
    assert org["name"] == "测试单位物业公司" and org["phone"] == "100****4321"
    assert [e["action"] for e in out["history"]] == ["register"]


def test_reveal_is_logged_and_refused_to_other_roles(tx, cast):
    d = register(cast["secretary"])
    before = tx.scalar(select(PiiView.id).order_by(PiiView.id.desc()).limit(1)) or 0
    full = {"parties": dispute_actions.reveal_parties(cast["secretary"], d.id)}
    assert full["parties"][0]["name"] == "张某某" and full["parties"][0]["id_number"] == "61020219000101123X"
    views = tx.scalars(select(PiiView).where(PiiView.id > before)).all()
    # person: name, id number, phone; organisation: phone (its name is not personal data)
    assert sorted((v.entity, v.field) for v in views) == [("dispute_party", "id_number"), ("dispute_party", "name"),
                                                          ("dispute_party", "phone"), ("dispute_party", "phone")]
    assert {v.user_id for v in views} == {cast["secretary"].id}
    with pytest.raises(Forbidden) as err:
        dispute_actions.reveal_parties(cast["township"], d.id)
    assert err.value.code == "pii_forbidden"


@pytest.mark.parametrize("field,value,code", [
    ("type_code", "XX", "invalid_type_code"), ("summary", " ", "invalid_summary"),
    ("amount", "-3", "invalid_amount"), ("risk_level", "huge", "invalid_risk_level"),
    ("source", "tv", "invalid_source"), ("parties", [], "invalid_parties"),
    ("parties", [{"name": "李某", "id_number": "123"}], "invalid_parties"),
    ("difficulty", "hard", "leader_required"),
])
def test_register_rejects_bad_field_and_writes_nothing(tx, cast, field, value, code):
    before = tx.scalar(text("SELECT count(*) FROM disputes"))
    with pytest.raises(BadInput) as err:
        register(cast["secretary"], **{field: value})
    assert err.value.code == code
    assert tx.scalar(text("SELECT count(*) FROM disputes")) == before


def test_register_outside_scope_is_forbidden(tx, cast):
    with pytest.raises(Forbidden):
        register(cast["worker"], grid=OTHER_GRID)


def test_routing_by_difficulty_decides_the_handler(tx, cast):
    simple = register(cast["secretary"])
    assert {t.action for t in dispute_workflow.allowed_actions(cast["secretary"], simple)} >= {"accept", "escalate"}
    assert "accept" not in {t.action for t in dispute_workflow.allowed_actions(cast["worker"], simple)}
    complex_ = register(cast["secretary"], difficulty="complex")
    with pytest.raises(Forbidden):
        act(cast["secretary"], complex_, "accept")
    act(cast["township"], complex_, "accept")
    hard = register(cast["district"], difficulty="hard", leader="王某（区级包案领导，虚构）")
    assert hard.leader.startswith("王某")
    for who in ("secretary", "township"):
        with pytest.raises(Forbidden):
            act(cast[who], hard, "accept")
    act(cast["district"], hard, "accept")
    assert hard.status == "mediating"


def test_escalate_and_deescalate_need_reasons_and_direction(tx, cast):
    d = register(cast["secretary"])
    with pytest.raises(BadInput) as err:
        act(cast["secretary"], d, "escalate", difficulty="complex")
    assert err.value.code == "note_required"
    with pytest.raises(BadInput) as err:
        act(cast["secretary"], d, "deescalate", difficulty="complex", note="x")
    assert err.value.code == "invalid_difficulty"
    with pytest.raises(BadInput) as err:
        act(cast["secretary"], d, "escalate", difficulty="hard", note="涉及多方")
    assert err.value.code == "leader_required"
    act(cast["secretary"], d, "escalate", difficulty="complex", note="涉及多个小区")
    assert d.difficulty == "complex"
    with pytest.raises(Forbidden):  # the community no longer handles it
        act(cast["secretary"], d, "accept")
    act(cast["township"], d, "deescalate", difficulty="simple", note="已查明仅涉及两户")
    act(cast["secretary"], d, "accept")
    events = [(e.action, e.data.get("difficulty"), e.note) for e in dispute_present.history(d)]
    assert events[1:] == [("escalate", "complex", "涉及多个小区"), ("deescalate", "simple", "已查明仅涉及两户"),
                          ("accept", None, None)]


def _mediating(cast):
    d = register(cast["secretary"])
    act(cast["secretary"], d, "accept")
    act(cast["secretary"], d, "session", held_on="2026-03-04", participants="张某某、测试单位物业公司、调解员",
        minutes="双方陈述意见（虚构）")
    return d


def test_outcome_success_with_agreement_and_performance(tx, cast):
    d = _mediating(cast)
    with pytest.raises(BadInput):
        act(cast["secretary"], d, "succeed")
    act(cast["secretary"], d, "succeed", agreement="物业于三日内更换设备（虚构）", performance="performing")
    assert (d.status, d.performance, d.closed_at is not None) == ("resolved", "performing", True)
    act(cast["secretary"], d, "perform", performance="performed")
    assert d.performance == "performed"
    out = dispute_present.dispute_dict(cast["secretary"], d)
    assert out["sessions"][0]["held_on"] == "2026-03-04" and out["agreement"].startswith("物业")


def test_outcome_failure_then_referral_and_every_channel(tx, cast):
    d = _mediating(cast)
    act(cast["secretary"], d, "fail", note="双方分歧较大")
    assert d.status == "failed"
    with pytest.raises(BadInput) as err:
        act(cast["secretary"], d, "refer", channel="court")
    assert err.value.code == "invalid_court_case_no"
    act(cast["secretary"], d, "refer", channel="court", court_case_no="（2026）陕0202民初001号（虚构）")
    assert (d.status, d.channel, d.court_case_no[:6]) == ("referred", "court", "（2026）")
    for channel in ("police", "petition"):
        other = _mediating(cast)
        act(cast["secretary"], other, "refer", channel=channel)
        assert (other.status, other.channel, other.court_case_no) == ("referred", channel, None)
    with pytest.raises(Conflict) as err:
        act(cast["secretary"], d, "succeed", agreement="x")
    assert err.value.code == "invalid_state"


def test_follow_up_visit_with_satisfaction(tx, cast):
    d = _mediating(cast)
    with pytest.raises(Conflict):
        act(cast["worker"], d, "visit", satisfaction=5)
    act(cast["secretary"], d, "succeed", agreement="协议（虚构）")
    with pytest.raises(BadInput):
        act(cast["worker"], d, "visit", satisfaction=6)
    act(cast["worker"], d, "visit", satisfaction=4, note="双方满意")
    with pytest.raises(NotFound):
        act(cast["other_worker"], d, "visit", satisfaction=1)
    assert [v.satisfaction for v in dispute_present.visits(d)] == [4]


def test_thirty_day_rule_and_extension_with_approval(tx, cast):
    d = register(cast["secretary"])
    assert not dispute_present.overdue(d, T0 + timedelta(days=29, hours=23))
    assert dispute_present.overdue(d, T0 + timedelta(days=30, minutes=1))
    act(cast["secretary"], d, "extend", days=15, note="需鉴定")
    assert d.deadline_at == T0 + timedelta(days=30)  # a request alone moves nothing
    with pytest.raises(Conflict) as err:
        act(cast["secretary"], d, "extend", days=5, note="again")
    assert err.value.code == "pending_approval"
    with pytest.raises(Forbidden):  # not the requester, not an equal rank
        act(cast["secretary"], d, "approve", approved=True)
    act(cast["township"], d, "approve", approved=True)
    assert d.deadline_at == T0 + timedelta(days=45)
    assert not dispute_present.overdue(d, T0 + timedelta(days=31))
    assert dispute_present.overdue(d, T0 + timedelta(days=45, minutes=1))
    act(cast["secretary"], d, "extend", days=5, note="再次延期")
    act(cast["township"], d, "approve", approved=False, note="不同意")
    assert d.deadline_at == T0 + timedelta(days=45)


def test_stale_version_is_409_and_writes_nothing(tx, cast):
    d = register(cast["secretary"])
    version = d.version
    dispute_workflow.perform(cast["secretary"], d.id, "accept", {}, version=version)
    events = tx.scalar(select(text("count(*)")).select_from(DisputeEvent).where(DisputeEvent.dispute_id == d.id))
    with pytest.raises(Conflict) as err:
        dispute_workflow.perform(cast["secretary"], d.id, "session", {"held_on": "2026-03-03", "participants": "a",
                                                              "minutes": "b"}, version=version)
    assert err.value.code == "stale_version"
    assert tx.scalar(select(text("count(*)")).select_from(DisputeEvent)
                     .where(DisputeEvent.dispute_id == d.id)) == events


def test_history_is_append_only(tx, cast):
    d = register(cast["secretary"])
    with pytest.raises(Exception, match="append-only"):
        with tx.begin_nested():
            tx.execute(text("UPDATE dispute_events SET note = 'x' WHERE dispute_id = :id"), {"id": d.id})


def test_scoping_by_role(tx, cast):
    d = register(cast["worker"])
    seen = {k: [x.id for x in dispute_queries.search(u, {})[0] if x.id == d.id] for k, u in cast.items()}
    assert {k for k, v in seen.items() if v} == {"worker", "secretary", "township", "district", "admin"}
    for outsider in ("other_secretary", "other_worker"):
        with pytest.raises(NotFound):
            dispute_workflow.get_dispute(cast[outsider], d.id)


def test_link_to_related_incident_in_scope(tx, cast):
    d = register(cast["secretary"])
    incident = make_case(cast["worker"], "reported")
    tx.commit()
    act(cast["secretary"], d, "link", incident=incident.id)
    assert dispute_present.linked_incidents(d) == [incident.id]
    other = make_case(cast["worker"], "reported", grid="610202002001001")
    tx.commit()
    with pytest.raises(NotFound):
        act(cast["secretary"], d, "link", incident=other.id)


def test_readme_permission_table_is_the_transition_table():
    from pathlib import Path


    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    assert casework.permission_table_markdown(dispute_rules.TRANSITIONS) in readme


def test_disputes_follow_a_grid_split(tx, cast):
    from gridapp.boundaries import grid_edit

    d = register(cast["secretary"])
    grid_edit.split_grid(cast["district"], GRID)
    tx.expire_all()
    assert d.grid_code not in (None, GRID) and d.grid_code.startswith(COMMUNITY)
