"""Coverage figures on a small hand-built fixture (fictitious test district 990100, PostGIS).

Fixture (all names and codes fictitious, for tests only):

    district 990100
      township 990100001: community A 990100001001 (grids A1 A2 A3), community B 990100001002
                          (grids B1 B2), village V 990100001201 (no grids)
      township 990100002: community C 990100002001 (grid C1)

    workers  w1 A {A1*, A2}, w2 A {A1*}, w3 B {B1*}
    groups   g1 A single {A1}; g2 A joint {A3} + compound; g3 B single {B2};
             g4 C joint {C1} + stationed unit su3, then dissolved
    members  A: m1 A1/g1, m2 A1/g1 leader, m3 A3/g2 in-service, m4 unplaced; B: m5 B2/g3; C: m6 C1/g4
    units    A: su1 (seat), su2 (no seat); C: su3 (seat)
"""
from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box

from gridapp.models import AdminArea, Grid
from gridapp.org.groups import create_group, dissolve_group, list_groups
from gridapp.org.members import add_member, add_worker, list_members
from gridapp.org.units import add_stationed_unit

D, T1, T2 = "990100", "990100001", "990100002"
A, B, V, C = "990100001001", "990100001002", "990100001201", "990100002001"
A1, A2, A3, B1, B2, C1 = A + "001", A + "002", A + "003", B + "001", B + "002", C + "001"


def _mp(x0, y0, x1, y1):
    return from_shape(MultiPolygon([box(x0, y0, x1, y1)]), srid=4326)


@pytest.fixture
def fixture_district(tx, make_user):
    """Builds the fixture above and returns the users {admin, sec_a, sec_b, township, district}."""
    def area(code, level, parent, x0, x1, unit_type=None):
        tx.add(AdminArea(code=code, name=f"测试{code[-3:]}", official_name=f"测试区划{code}", level=level,
                         unit_type=unit_type, parent_code=parent, district_code=D, boundary_source="derived",
                         geom=_mp(x0, 0, x1, 1)))
        tx.flush()

    area(D, "district", None, 100, 106)
    area(T1, "township", D, 100, 105)
    area(T2, "township", D, 105, 106)
    area(A, "community", T1, 100, 103, "居委会")
    area(B, "community", T1, 103, 105, "居委会")
    area(V, "community", T1, 104.5, 105, "村委会")
    area(C, "community", T2, 105, 106, "居委会")
    for i, code in enumerate((A1, A2, A3, B1, B2, C1)):
        tx.add(Grid(code=code, name=f"测试网格{i}", community_code=code[:12], district_code=D,
                    geom=_mp(100 + i, 0, 101 + i, 1)))
    tx.commit()
    users = {"admin": make_user("admin"), "sec_a": make_user("secretary", A), "sec_b": make_user("secretary", B),
             "township": make_user("township", T1), "district": make_user("district", D)}
    admin = users["admin"]
    add_worker(admin, {"community_code": A, "name": "测试网格员甲", "kind": "full_time", "grid_codes": [A1, A2]})
    add_worker(admin, {"community_code": A, "name": "测试网格员乙", "kind": "part_time", "grid_codes": [A1]})
    add_worker(admin, {"community_code": B, "name": "测试网格员丙", "kind": "full_time", "grid_codes": [B1]})
    su1 = add_stationed_unit(admin, {"community_code": A, "name": "测试单位一", "seat_person": "张某"})
    add_stationed_unit(admin, {"community_code": A, "name": "测试单位二"})
    su3 = add_stationed_unit(admin, {"community_code": C, "name": "测试单位三", "seat_person": "李某"})
    g1 = create_group(admin, {"community_code": A, "name": "甲组", "build_type": "single", "grid_codes": [A1]})
    g2 = create_group(admin, {"community_code": A, "name": "乙组", "build_type": "joint", "grid_codes": [A3],
                                  "partners": [{"partner_type": "compound", "name": "测试小区"}]})
    g3 = create_group(admin, {"community_code": B, "name": "丙组", "build_type": "single", "grid_codes": [B2]})
    g4 = create_group(admin, {"community_code": C, "name": "丁组", "build_type": "joint", "grid_codes": [C1],
                                  "partners": [{"partner_type": "stationed_unit", "stationed_unit_id": su3.id}]})
    member = {"kind": "resident"}
    add_member(admin, {**member, "community_code": A, "name": "党员一", "group_id": g1.id})
    add_member(admin, {**member, "community_code": A, "name": "党员二", "group_id": g1.id, "role": "leader"})
    add_member(admin, {"community_code": A, "name": "党员三", "kind": "in_service", "group_id": g2.id,
                           "home_unit": su1.name, "reported_on": "2021-03-01"})
    add_member(admin, {**member, "community_code": A, "name": "党员四"})
    add_member(admin, {**member, "community_code": B, "name": "党员五", "grid_code": B2, "group_id": g3.id})
    add_member(admin, {**member, "community_code": C, "name": "党员六", "group_id": g4.id})
    dissolve_group(admin, g4.id)
    return users


ZERO = {"communities": 0, "grids": 0, "grids_with_worker": 0, "grids_without_worker": 0, "grids_with_group": 0,
        "grids_covered": 0, "groups": 0, "groups_single": 0, "groups_joint": 0, "members": 0,
        "members_in_grids": 0, "workers": 0, "stationed_units": 0, "committee_seats": 0, "units_with_seat": 0,
        "members_per_grid": None}
EXPECTED_A = {**ZERO, "communities": 1, "grids": 3, "grids_with_worker": 2, "grids_without_worker": 1,
              "grids_with_group": 2, "grids_covered": 1, "groups": 2, "groups_single": 1, "groups_joint": 1,
              "members": 4, "members_in_grids": 3, "workers": 2, "stationed_units": 2, "committee_seats": 1,
              "units_with_seat": 1, "members_per_grid": 1.0}
EXPECTED_T1 = {**ZERO, "communities": 2, "grids": 5, "grids_with_worker": 3, "grids_without_worker": 2,
               "grids_with_group": 2 + 1, "grids_covered": 1, "groups": 3, "groups_single": 2, "groups_joint": 1,
               "members": 5, "members_in_grids": 4, "workers": 3, "stationed_units": 2, "committee_seats": 1,
               "units_with_seat": 1, "members_per_grid": 0.8}
EXPECTED_D = {**EXPECTED_T1, "communities": 3, "grids": 6, "grids_without_worker": 3, "members": 6,
              "members_in_grids": 5, "stationed_units": 3, "committee_seats": 2, "units_with_seat": 2,
              "members_per_grid": 0.83}
EXPECTED_C = {**ZERO, "communities": 1, "grids": 1, "grids_without_worker": 1, "members": 1,
              "members_in_grids": 1, "stationed_units": 1, "committee_seats": 1, "units_with_seat": 1,
              "members_per_grid": 1.0}


def _get(client, bearer, user, query):
    return client.get(f"/api/v1/coverage?{query}", headers=bearer(user.username))


def test_coverage_equals_hand_computed_figures(client, bearer, fixture_district):
    district = fixture_district["district"]
    body = _get(client, bearer, district, f"level=district&code={D}").get_json()
    assert body["figures"] == EXPECTED_D
    assert [c["code"] for c in body["children"]] == [T1, T2]
    assert body["children"][0]["figures"] == EXPECTED_T1
    assert body["children"][1]["figures"] == EXPECTED_C
    township = _get(client, bearer, district, f"level=township&code={T1}").get_json()
    assert township["figures"] == EXPECTED_T1
    assert {c["code"]: c["figures"]["grids"] for c in township["children"]} == {A: 3, B: 2, V: 0}
    community = _get(client, bearer, district, f"level=community&code={A}").get_json()
    assert community["figures"] == EXPECTED_A
    assert {g["code"]: g["status"] for g in community["children"]} == {
        A1: "covered", A2: "worker_no_group", A3: "no_worker"}
    assert {g["code"]: g["members"] for g in community["children"]} == {A1: 2, A2: 0, A3: 1}
    grid = _get(client, bearer, district, f"level=grid&code={B2}").get_json()
    assert grid["figures"]["status"] == "no_worker" and grid["figures"]["build_type"] == "single"


def test_coverage_grid_layer_statuses(client, bearer, fixture_district):
    resp = client.get(f"/api/v1/coverage/grids?community_code={B}", headers=bearer(fixture_district["admin"].username))
    statuses = {f["id"]: f["properties"]["status"] for f in resp.get_json()["features"]}
    assert statuses == {B1: "worker_no_group", B2: "no_worker"}


def test_coverage_scope_and_defaults(client, bearer, fixture_district):
    sec_a = fixture_district["sec_a"]
    own = _get(client, bearer, sec_a, "level=community").get_json()
    assert own["code"] == A and own["figures"] == EXPECTED_A
    assert _get(client, bearer, sec_a, f"level=community&code={B}").status_code == 403
    assert _get(client, bearer, sec_a, f"level=township&code={T1}").status_code == 403
    township = fixture_district["township"]
    assert _get(client, bearer, township, f"level=community&code={C}").status_code == 403
    assert _get(client, bearer, township, "level=nation").status_code == 400
    assert _get(client, bearer, township, "level=community&code=990100009999").status_code == 404


def test_secretary_cannot_read_or_change_another_community(client, bearer, fixture_district):
    headers = bearer(fixture_district["sec_b"].username)
    groups = list_groups(fixture_district["admin"], A)
    assert client.get(f"/api/v1/party-groups?community_code={A}", headers=headers).status_code == 403
    # an object of another community is not revealed: the same 404 as an absent id (issue 18)
    assert client.get(f"/api/v1/party-groups/{groups[0].id}", headers=headers).status_code == 404
    absent = client.get("/api/v1/party-groups/999999999", headers=headers).get_json()["error"]
    outside = client.get(f"/api/v1/party-groups/{groups[0].id}", headers=headers).get_json()["error"]
    assert outside["code"] == absent["code"] and outside["message"].replace(str(groups[0].id), "999999999") \
        == absent["message"]
    assert client.get(f"/api/v1/party-members?community_code={A}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/grid-workers?community_code={A}", headers=headers).status_code == 403
    assert client.delete(f"/api/v1/party-groups/{groups[0].id}", headers=headers).status_code == 404
    resp = client.post("/api/v1/party-groups", headers=headers, json={
        "community_code": A, "name": "越权组", "build_type": "single", "grid_codes": [A2]})
    assert resp.status_code == 403
    members = list_members(fixture_district["admin"], A)
    assert client.patch(f"/api/v1/party-members/{members[0].id}", headers=headers,
                        json={"group_id": None}).status_code == 404
    # the secretary's own list does not include community A's rows
    own = client.get("/api/v1/party-groups", headers=headers).get_json()
    assert {g["community_code"] for g in own} == {B}
    assert list_groups(fixture_district["admin"], A)[0].dissolved_at is None


def test_group_crud_rules_and_audit(client, bearer, fixture_district, tx):
    from sqlalchemy import select

    from gridapp.models import AuditEntry
    headers = bearer(fixture_district["sec_a"].username)
    taken = client.post("/api/v1/party-groups", headers=headers, json={
        "community_code": A, "name": "重复组", "build_type": "single", "grid_codes": [A1]})
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "grid_has_group"
    joint = client.post("/api/v1/party-groups", headers=headers, json={
        "community_code": A, "name": "无共建", "build_type": "joint", "grid_codes": [A2]})
    assert joint.status_code == 400 and joint.get_json()["error"]["details"]["field"] == "partners"
    foreign = client.post("/api/v1/party-groups", headers=headers, json={
        "community_code": A, "name": "外网格", "build_type": "single", "grid_codes": [B1]})
    assert foreign.status_code == 400
    made = client.post("/api/v1/party-groups", headers=headers, json={
        "community_code": A, "name": "新组", "build_type": "single", "grid_codes": [A2]})
    assert made.status_code == 201
    gid = made.get_json()["id"]
    entry = tx.scalar(select(AuditEntry).where(AuditEntry.entity == "group", AuditEntry.entity_id == gid))
    assert entry.user_id == fixture_district["sec_a"].id and entry.action == "create"
    assert entry.detail["grids"] == [A2] and entry.at is not None
    gone = client.delete(f"/api/v1/party-groups/{gid}", headers=headers)
    assert gone.status_code == 200 and gone.get_json()["dissolved_at"] and gone.get_json()["grid_codes"] == []
    rating = client.post("/api/v1/ratings", headers=headers, json={"community_code": A, "stars": 6})
    assert rating.status_code == 400
    rating = client.post("/api/v1/ratings", headers=headers, json={"community_code": A, "stars": 4,
                                                                   "rated_on": "2024-12-31"})
    assert rating.status_code == 201 and rating.get_json()["stars"] == 4


def test_worker_assignment_keeps_login_scope(client, bearer, fixture_district, make_user, tx):
    from gridapp.core.scope import worker_grid_codes
    login = make_user("worker", grids=[A3])
    sec = fixture_district["sec_a"]
    resp = client.post("/api/v1/grid-workers", headers=bearer(sec.username), json={
        "community_code": A, "name": "测试网格员丁", "kind": "full_time", "grid_codes": [A3, A2],
        "primary_grid": A2, "username": login.username, "phone": "13800001111"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["primary_grid"] == A2 and body["phone"] == "138****1111"
    assert worker_grid_codes(login) == {A2, A3}
    moved = client.put(f"/api/v1/grid-workers/{body['id']}/grids", headers=bearer(sec.username),
                       json={"grid_codes": [A1]})
    assert moved.status_code == 200 and moved.get_json()["primary_grid"] == A1
    assert worker_grid_codes(login) == {A1}
    # a grid worker has no access to the organisation
    assert client.get(f"/api/v1/coverage?level=community&code={A}", headers=bearer(login.username)).status_code == 403


def test_bad_ids_and_stationed_unit_api(client, bearer, fixture_district):
    headers = bearer(fixture_district["sec_a"].username)
    assert client.post("/api/v1/ratings", headers=headers, json={"group_id": "abc", "stars": 3}).status_code == 400
    assert client.patch("/api/v1/party-members/999999", headers=headers, json={}).status_code == 404
    unit = client.post("/api/v1/stationed-units", headers=headers, json={
        "community_code": A, "name": "测试单位四", "seat_person": "王某"})
    assert unit.status_code == 201 and unit.get_json()["seats"] == ["王某"]
    figures = client.get(f"/api/v1/coverage?level=community&code={A}", headers=headers).get_json()["figures"]
    assert (figures["stationed_units"], figures["committee_seats"]) == (3, 2)
    assert client.post("/api/v1/stationed-units", headers=headers, json={"community_code": B, "name": "x"}
                       ).status_code == 403


def test_audit_api_lists_who_when_what(client, bearer, fixture_district):
    rows = client.get(f"/api/v1/audit?community_code={A}", headers=bearer(fixture_district["sec_a"].username))
    assert rows.status_code == 200
    body = rows.get_json()
    admin = fixture_district["admin"].username
    assert {(r["action"], r["entity"]) for r in body} >= {("create", "group"), ("create", "member"),
                                                          ("create", "worker"), ("create", "stationed_unit")}
    assert all(r["user"] == admin and r["at"] for r in body)
    other = client.get(f"/api/v1/audit?community_code={A}", headers=bearer(fixture_district["sec_b"].username))
    assert other.status_code == 403


def test_patch_group_grids_keeps_and_adds(client, bearer, fixture_district):
    headers = bearer(fixture_district["sec_a"].username)
    group = next(g for g in list_groups(fixture_district["admin"], A) if g.name == "甲组")
    resp = client.patch(f"/api/v1/party-groups/{group.id}", headers=headers, json={"grid_codes": [A1, A2]})
    assert resp.status_code == 200 and resp.get_json()["grid_codes"] == [A1, A2]
    figures = client.get(f"/api/v1/coverage?level=community&code={A}", headers=headers).get_json()["figures"]
    assert (figures["grids_with_group"], figures["grids_covered"]) == (3, 2)
    clash = client.patch(f"/api/v1/party-groups/{group.id}", headers=headers, json={"grid_codes": [A3]})
    assert clash.status_code == 409


def test_coverage_without_a_level_is_the_callers_own_area(client, bearer):
    """Issue 24: a secretary and a township user asking without ``level`` get their own area (was 404)."""
    for username, level, code in (("hongqi", "community", "610202002010"), ("hongqijie", "township", "610202002"),
                                  ("district", "district", "610202"), ("admin", "district", "610202")):
        resp = client.get("/api/v1/coverage", headers=bearer(username))
        assert resp.status_code == 200, (username, resp.get_json())
        assert (resp.get_json()["level"], resp.get_json()["code"]) == (level, code)
    assert client.get("/api/v1/coverage", headers=bearer("worker")).status_code == 403
