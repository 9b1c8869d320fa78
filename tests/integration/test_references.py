"""Every reference a request carries to another object is resolved inside the caller's scope with
the rule of a read (issue 18): an object outside the scope answers exactly as an absent one — the
same 404, the same error code, the same field — and nothing is written. Table-driven: one row per
reference parameter, tried as the demo's community secretary (hongqi, 红旗社区) over the API."""
from __future__ import annotations

import io

import pytest
from caseutil import COMMUNITY, GRID, OTHER_COMMUNITY, grid_point, jpeg_bytes, make_case
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select

from gridapp.disputes import actions as dispute_actions
from gridapp.disputes import register as dispute_register
from gridapp.disputes import workflow as dispute_workflow
from gridapp.inspections import service as inspections
from gridapp.models import (
    AdminArea,
    Department,
    DepartmentMember,
    Grid,
    GridPartyGroup,
    Incident,
    PartyMember,
    StationedUnit,
    User,
)
from gridapp.places import service as places

ABSENT = 2_000_000_000  # an id no row has
ELSEWHERE = "610202001"  # another township of the demo district
FAR_DISTRICT = "610203"  # 印台区: a second district, only for this test (a square far away)


def _user(tx, username):
    return tx.scalar(select(User).where(User.username == username))


@pytest.fixture
def world(tx):
    """Objects of the secretary's community (mine) and outside her scope (theirs), committed."""
    admin, worker, district = _user(tx, "admin"), _user(tx, "worker"), _user(tx, "district")
    tx.add(AdminArea(code=FAR_DISTRICT, name="印台区（测试）", official_name="印台区", level="district",
                     district_code=FAR_DISTRICT, boundary_source="derived",
                     geom=from_shape(MultiPolygon([box(100.0, 30.0, 100.01, 30.01)]), srid=4326)))
    tx.add(Department(code="TEST-FAR", name="测试单位（虚构，外区）", district_code=FAR_DISTRICT))
    stranger = User(username="ref-stranger", display_name="外区处置人", role="worker", password_hash="!")
    tx.add(stranger)
    tx.flush()
    tx.add(DepartmentMember(department_code="TEST-FAR", user_id=stranger.id))
    elsewhere_grid = tx.scalar(select(Grid.code).where(Grid.community_code.startswith(ELSEWHERE)).order_by(Grid.code))
    mine = {"reported": make_case(worker, "reported", grid=GRID), "target": make_case(worker, "reported", grid=GRID),
            "filed": make_case(worker, "filed", grid=GRID)}
    theirs = {"case": make_case(admin, "reported", grid=elsewhere_grid)}
    lon, lat = grid_point(GRID)
    mine["dispute"] = dispute_register.register(admin, {"type_code": "02", "summary": "测试纠纷（虚构）", "lon": lon,
                                                         "lat": lat, "parties": [{"kind": "person", "name": "张某"}]})
    mine["place"] = places.create(admin, {"name": "测试场所（虚构）", "type": "qita", "lon": lon, "lat": lat})
    olon, olat = grid_point(elsewhere_grid)
    theirs["place"] = places.create(admin, {"name": "外社区场所（虚构）", "type": "qita", "lon": olon, "lat": olat})
    theirs["campaign"] = inspections.create_campaign(district, "外社区专项（虚构）", OTHER_COMMUNITY, "2026-01-01",
                                                     "2099-12-31")
    theirs["mediator"] = dispute_actions.add_mediator(admin, {"name": "外区调解员（虚构）", "area_code": FAR_DISTRICT,
                                                              "committee_name": "外区调委会（虚构）"})
    theirs["committee"] = theirs["mediator"].committee
    mine["mediating"] = dispute_register.register(admin, {"type_code": "02", "summary": "调解中（虚构）", "lon": lon,
                                                           "lat": lat, "parties": [{"kind": "person", "name": "李某"}]})
    dispute_workflow.perform(_user(tx, "hongqi"), mine["mediating"].id, "accept")
    theirs["group"] = tx.scalar(select(GridPartyGroup).where(GridPartyGroup.community_code != COMMUNITY,
                                                             GridPartyGroup.dissolved_at.is_(None)))
    if theirs["group"] is None:
        pytest.fail("the demo has party groups outside 红旗社区")
    theirs["unit"] = StationedUnit(name="外社区驻区单位（虚构）", unit_type="企业", community_code=OTHER_COMMUNITY,
                                    district_code=OTHER_COMMUNITY[:6])
    tx.add(theirs["unit"])
    mine["member"] = tx.scalar(select(PartyMember).where(PartyMember.community_code == COMMUNITY))
    tx.commit()
    return {"mine": mine, "theirs": theirs, "stranger": stranger}


def _photo_of(client, bearer, who: str) -> str:
    resp = client.post("/api/v1/photos", data={"file": (io.BytesIO(jpeg_bytes(color="teal")), "p.jpg")},
                       headers=bearer(who), content_type="multipart/form-data")
    return resp.get_json()["ref"]


# (name, field, request builder(world, value) → (method, url, json), outside value(world, client, bearer))
REFERENCES = [
    ("merge target", "into",
     lambda w, v: ("POST", f"/api/v1/incidents/{w['mine']['reported'].id}/actions/merge", {"into": v}),
     lambda w, c, b: w["theirs"]["case"].id),
    ("dispatch department", "department_code",
     lambda w, v: ("POST", f"/api/v1/incidents/{w['mine']['filed'].id}/actions/dispatch", {"department_code": v}),
     lambda w, c, b: "TEST-FAR"),
    ("dispatch handler", "handler",
     lambda w, v: ("POST", f"/api/v1/incidents/{w['mine']['filed'].id}/actions/dispatch", {"handler": v}),
     lambda w, c, b: "ref-stranger"),
    ("attached photo", "attachments",
     lambda w, v: ("POST", f"/api/v1/incidents/{w['mine']['reported'].id}/actions/accept", {"attachments": [v]}),
     lambda w, c, b: _photo_of(c, b, "district")),
    ("linked incident", "incident",
     lambda w, v: ("POST", f"/api/v1/disputes/{w['mine']['dispute'].id}/actions/link", {"incident": v}),
     lambda w, c, b: w["theirs"]["case"].id),
    ("session mediator", "mediator_id",
     lambda w, v: ("POST", f"/api/v1/disputes/{w['mine']['mediating'].id}/actions/session",
                   {"held_on": "2026-12-01", "participants": "张某、李某", "minutes": "调解记录（虚构）",
                    "mediator_id": v}),
     lambda w, c, b: w["theirs"]["mediator"].id),
    ("inspected place", "place_id",
     lambda w, v: ("POST", "/api/v1/inspections", {"kind": "ad_hoc", "members": ["张某"],
                                                   "visits": [{"place_id": v, "checklist": {}}]}),
     lambda w, c, b: w["theirs"]["place"].id),
    ("inspection campaign", "campaign_id",
     lambda w, v: ("POST", "/api/v1/inspections", {"kind": "planned", "members": ["张某"], "campaign_id": v,
                                                   "visits": [{"place_id": w["mine"]["place"].id, "checklist": {}}]}),
     lambda w, c, b: w["theirs"]["campaign"].id),
    ("campaign area", "area_code",
     lambda w, v: ("POST", "/api/v1/campaigns", {"name": "测试专项（虚构）", "area_code": v,
                                                 "starts_on": "2026-12-01", "ends_on": "2026-12-31"}),
     lambda w, c, b: OTHER_COMMUNITY),
    ("mediator's committee", "committee_id",
     lambda w, v: ("POST", "/api/v1/mediators", {"name": "调解员（虚构）", "committee_id": v}),
     lambda w, c, b: w["theirs"]["committee"].id),
    ("committee area", "area_code",
     lambda w, v: ("POST", "/api/v1/mediators", {"name": "调解员（虚构）", "committee_name": "调委会（虚构）",
                                                 "area_code": v}),
     lambda w, c, b: OTHER_COMMUNITY),
    ("party group of a member", "group_id",
     lambda w, v: ("PATCH", f"/api/v1/party-members/{w['mine']['member'].id}", {"group_id": v}),
     lambda w, c, b: w["theirs"]["group"].id),
    ("stationed unit of a group's partner", "stationed_unit_id",
     lambda w, v: ("POST", "/api/v1/party-groups", {"community_code": COMMUNITY, "name": "测试联建组（虚构）",
                                                    "build_type": "joint", "grid_codes": [GRID],
                                                    "partners": [{"partner_type": "stationed_unit",
                                                                  "stationed_unit_id": v}]}),
     lambda w, c, b: w["theirs"]["unit"].id),
]
ABSENT_VALUE = {"department_code": "NO-SUCH-DEPT", "handler": "no-such-user", "attachments": "photo:" + "0" * 64,
                "area_code": "610202999999"}


@pytest.mark.parametrize("name, field, build, outside", REFERENCES, ids=[r[0] for r in REFERENCES])
def test_an_outside_reference_answers_as_an_absent_one(client, tx, bearer, world, name, field, build, outside):
    headers = bearer("hongqi")
    versions = {k: tx.get(Incident, v.id).version for k, v in world["mine"].items() if isinstance(v, Incident)}
    answers = []
    for value in (ABSENT_VALUE.get(field, ABSENT), outside(world, client, bearer)):
        method, url, body = build(world, value)
        resp = client.open(url, method=method, json=body, headers=headers)
        error = (resp.get_json() or {}).get("error", {})
        assert resp.status_code == 404, (name, value, resp.status_code, error)
        answers.append((error.get("code"), error.get("field"), error.get("message", "").replace(str(value), "<ref>")))
    assert answers[0] == answers[1], answers
    assert answers[0][1].rsplit("/", 1)[-1] == field
    tx.expire_all()
    assert {k: tx.get(Incident, v.id).version for k, v in world["mine"].items() if isinstance(v, Incident)} == versions


def test_a_secretary_cannot_merge_into_another_townships_case(client, tx, bearer, world):
    """The defect of issue 18: the merge target was only checked to be in the same district."""
    mine, theirs = world["mine"]["reported"], world["theirs"]["case"]
    resp = client.post(f"/api/v1/incidents/{mine.id}/actions/merge", json={"into": theirs.id},
                       headers=bearer("hongqi"))
    assert resp.status_code == 404
    tx.expire_all()
    case = tx.get(Incident, mine.id)
    assert case.status == "reported" and case.duplicate_of_id is None
    ok = client.post(f"/api/v1/incidents/{mine.id}/actions/merge", json={"into": world["mine"]["target"].id},
                     headers=bearer("hongqi"))
    assert ok.status_code == 200 and ok.get_json()["status"] == "merged"


def test_a_photo_is_attachable_by_its_uploader_and_by_who_sees_its_case(client, tx, bearer, world, make_user):
    case = world["mine"]["reported"]
    ref = _photo_of(client, bearer, "worker")  # the demo worker of 红旗社区's first grid
    assert client.post(f"/api/v1/incidents/{case.id}/actions/accept", json={"attachments": [ref]},
                       headers=bearer("hongqi")).status_code == 404  # not hers, on no case yet
    filed = world["mine"]["filed"]
    resp = client.post(f"/api/v1/incidents/{filed.id}/actions/dispatch",
                       json={"department_code": "DEMO-SZ", "attachments": [ref]}, headers=bearer("hongqi"))
    assert resp.status_code == 404
    # the uploader may attach it (here: to their own report); once it is on a case of 红旗社区, the
    # secretary who sees that case may attach it too, a secretary of another community may not
    lon, lat = grid_point(GRID)
    report = client.post("/api/v1/incidents", json={"category_code": "0102", "description": "带照片（虚构）",
                                                     "lon": lon, "lat": lat, "photos": [ref]},
                         headers=bearer("worker"))
    assert report.status_code == 201
    ok = client.post(f"/api/v1/incidents/{case.id}/actions/accept", json={"attachments": [ref]},
                     headers=bearer("hongqi"))
    assert ok.status_code == 200, ok.get_json()
    other = make_user("secretary", OTHER_COMMUNITY)
    their_grid = tx.scalar(select(Grid.code).where(Grid.community_code == OTHER_COMMUNITY).order_by(Grid.code))
    theirs = make_case(other, "reported", grid=their_grid)
    tx.commit()
    refused = client.post(f"/api/v1/incidents/{theirs.id}/actions/accept", json={"attachments": [ref]},
                          headers=bearer(other.username))
    assert refused.status_code == 404 and refused.get_json()["error"]["field"] == "attachments"
