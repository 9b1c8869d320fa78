"""Checklist answers (issue 24): every item starts unanswered and must be answered pass / fail / na;
a failed item needs findings; findings that contradict the checklist are refused; nothing written."""
from __future__ import annotations

import placeutil as pu
import pytest
from placeutil import cast_fixture  # noqa: F401 (the fixture cast)
from sqlalchemy import func, select

from gridapp.errors import BadInput
from gridapp.inspections import service as inspections
from gridapp.inspections.rules import CHECK_ANSWERS
from gridapp.models import Inspection, InspectionPlace, Place, PlaceEvent, PlaceType

ITEMS = ("煤堆全覆盖", "按时洒水降尘", "出场车辆冲洗")  # the checklist of 煤场 (places/rules.py)


def _visit(place, checklist, findings=None, **extra):
    return {"place_id": place.id, "checklist": checklist, "findings": findings, **extra}


def _counts(tx):
    return [tx.scalar(select(func.count()).select_from(t)) for t in (Inspection, InspectionPlace, PlaceEvent)]


@pytest.mark.parametrize("checklist, findings, code, field", [
    ({"煤堆全覆盖": "pass", "按时洒水降尘": "pass"}, None, "checklist_unanswered", "/visits/0/checklist/出场车辆冲洗"),
    ({}, None, "checklist_unanswered", "/visits/0/checklist/煤堆全覆盖"),
    (None, None, "checklist_unanswered", "/visits/0/checklist/煤堆全覆盖"),
    ({**dict.fromkeys(ITEMS, "pass"), "煤堆全覆盖": "yes"}, None, "checklist_unanswered",
     "/visits/0/checklist/煤堆全覆盖"),
    ({**dict.fromkeys(ITEMS, "pass"), "煤堆全覆盖": None}, None, "checklist_unanswered",
     "/visits/0/checklist/煤堆全覆盖"),
    ({**dict.fromkeys(ITEMS, "pass"), "不存在的项目": "pass"}, None, "invalid_checklist",
     "/visits/0/checklist/不存在的项目"),
    (["pass", "pass", "pass"], None, "invalid_checklist", "/visits/0/checklist"),
    ({**dict.fromkeys(ITEMS, "pass"), "煤堆全覆盖": "fail"}, None, "findings_required", "/visits/0/findings"),
    (dict.fromkeys(ITEMS, "pass"), "煤堆未苫盖", "checklist_contradiction", "/visits/0/checklist"),
    (dict.fromkeys(ITEMS, "na"), "煤堆未苫盖", "checklist_contradiction", "/visits/0/checklist"),
])
def test_unanswered_or_contradicting_checklists_are_refused_naming_the_field(tx, cast, checklist, findings, code,
                                                                              field):
    place = pu.make_place(cast["worker"], pu.G1, "测试煤场（虚构）")
    before = _counts(tx)
    with pytest.raises(BadInput) as refused:
        pu.inspect(cast["worker"], [_visit(place, checklist, findings)], pu.T0)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert _counts(tx) == before


def test_a_notice_on_an_all_passed_checklist_is_refused(tx, cast):
    """The defect of issue 24: 煤堆全覆盖 ✔ next to the finding 煤堆未苫盖 on a record that led to 取缔."""
    place = pu.make_place(cast["worker"], pu.G1, "测试煤场（虚构）")
    with pytest.raises(BadInput) as refused:
        pu.inspect(cast["worker"], [_visit(place, dict.fromkeys(ITEMS, "pass"), "煤堆未苫盖",
                                           notice={"requirements": "全覆盖", "deadline": "2026-03-09"})], pu.T0)
    assert refused.value.code == "checklist_contradiction"


def test_answers_are_stored_as_given_and_booleans_still_mean_pass_and_fail(tx, cast):
    w = cast["worker"]
    a, b = pu.make_place(w, pu.G1, "测试煤场甲（虚构）"), pu.make_place(w, pu.G1, "测试煤场乙（虚构）")
    other = pu.make_place(w, pu.G1, "测试其他（虚构）", "qita")  # a type with no checklist items
    insp = pu.inspect(w, [_visit(a, {"煤堆全覆盖": "fail", "按时洒水降尘": "na", "出场车辆冲洗": "pass"}, "未覆盖"),
                          _visit(b, {"煤堆全覆盖": True, "按时洒水降尘": False, "出场车辆冲洗": True}, "未洒水"),
                          _visit(other, {}, "堆放杂乱")], pu.T0)
    answers = {v.place_id: v.checklist for v in insp.visits}
    assert answers == {a.id: {"煤堆全覆盖": "fail", "按时洒水降尘": "na", "出场车辆冲洗": "pass"},
                       b.id: {"煤堆全覆盖": "pass", "按时洒水降尘": "fail", "出场车辆冲洗": "pass"},
                       other.id: {}}
    timeline = tx.scalars(select(PlaceEvent.data).where(PlaceEvent.place_id == b.id,
                                                        PlaceEvent.action == "inspected")).one()
    assert timeline["checklist"] == answers[b.id]


def test_the_kind_of_inspection_is_chosen_not_assumed(tx, cast):
    place = pu.make_place(cast["worker"], pu.G1, "测试煤场（虚构）")
    for kind in (None, "", "weekly"):
        with pytest.raises(BadInput) as refused:
            inspections.record_inspection(cast["worker"], {"kind": kind, "members": ["张某"], "visits": [
                _visit(place, dict.fromkeys(ITEMS, "pass"))]}, now=pu.T0)
        assert refused.value.field == "kind"


def test_api_refusal_names_the_item(client, tx, bearer, make_user):
    worker = make_user("worker", grids=[pu.G1])
    place = pu.make_place(worker, pu.G1, "测试煤场（虚构）")
    tx.commit()
    resp = client.post("/api/v1/inspections", headers=bearer(worker.username), json={
        "kind": "planned", "members": ["张某"],
        "visits": [_visit(place, {"煤堆全覆盖": "fail", "按时洒水降尘": "pass"}, "未覆盖")]})
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["field"] == "/visits/0/checklist/出场车辆冲洗" and "出场车辆冲洗" in error["message"]


def test_every_stored_visit_answers_its_checklist_consistently(tx):
    """The demo's inspections (and any other stored) answer every item, and findings ⇔ a failed item."""
    rows = tx.execute(select(InspectionPlace.checklist, InspectionPlace.findings, PlaceType.checklist)
                      .join(InspectionPlace.place).join(Place.place_type)).all()
    assert rows, "the demo has inspections"
    for answers, findings, items in rows:
        assert set(answers) == set(items) and set(answers.values()) <= set(CHECK_ANSWERS), answers
        if items:
            assert bool(findings) == ("fail" in answers.values()), (answers, findings)
