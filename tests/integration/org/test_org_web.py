"""Secretary screens of the party organisation: tree, grid page, forms with CSRF, scope, reveal log."""
from __future__ import annotations

from sqlalchemy import func, select

from gridapp.models import AuditEntry, GridPartyGroup, GroupGrid, PartyMember, PiiView, StarRating

HONGQI = "610202002010"
GRID = HONGQI + "001"


def test_secretary_sees_the_three_level_tree_masked(client, login, tx):
    login("hongqi")
    resp = client.get("/org")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/org/community/{HONGQI}")
    page = client.get(f"/org/community/{HONGQI}").text
    assert "三级组织体系" in page and "红旗社区党委" in page and "演示党员" in page
    grid_page = client.get(f"/org/grid/{GRID}").text
    assert "网格党小组" in grid_page and "演示网格员" in grid_page
    member = tx.scalar(select(PartyMember).where(PartyMember.grid_code == GRID).order_by(PartyMember.id))
    assert member.name in grid_page
    assert member.phone not in grid_page and member.id_number not in grid_page
    assert member.phone[:3] + "****" + member.phone[-4:] in grid_page


def test_secretary_cannot_open_another_community(client, login):
    login("hongqi")
    assert client.get("/org/community/610202001001").status_code == 403
    assert client.get("/org/grid/610202001001001").status_code == 403


def test_forms_need_csrf_and_change_the_roster_with_audit(client, login, csrf_of, tx):
    login("hongqi")
    token = csrf_of(client.get(f"/org/grid/{GRID}").text)
    group = tx.get(GroupGrid, GRID).group
    # no CSRF token: nothing happens
    client.post(f"/org/groups/{group.id}/dissolve", data={})
    assert tx.get(GridPartyGroup, group.id).dissolved_at is None
    client.post(f"/org/groups/{group.id}/dissolve", data={"csrf_token": token})
    tx.expire_all()
    assert tx.get(GridPartyGroup, group.id).dissolved_at is not None and tx.get(GroupGrid, GRID) is None
    resp = client.post(f"/org/community/{HONGQI}/groups", data={
        "csrf_token": token, "name": "红旗新党小组", "build_type": "joint", "grid_codes": GRID,
        "partner_type": "compound", "partner_name": "测试小区"}, follow_redirects=True)
    assert "党小组已成立" in resp.text
    new = tx.get(GroupGrid, GRID).group
    assert new.name == "红旗新党小组" and new.build_type == "joint" and new.partners[0].name == "测试小区"
    resp = client.post(f"/org/community/{HONGQI}/members", data={
        "csrf_token": token, "name": "测试党员甲", "kind": "in_service", "role": "member", "group_id": str(new.id),
        "back": f"/org/grid/{GRID}"}, follow_redirects=True)
    assert "在职党员必须填写" in resp.text or "home_unit" in resp.text  # refused: no home unit
    assert tx.scalar(select(func.count()).select_from(PartyMember).where(PartyMember.name == "测试党员甲")) == 0
    client.post(f"/org/community/{HONGQI}/members", data={
        "csrf_token": token, "name": "测试党员甲", "kind": "resident", "role": "leader", "group_id": str(new.id)})
    member = tx.scalar(select(PartyMember).where(PartyMember.name == "测试党员甲"))
    assert member.group_id == new.id and member.grid_code == GRID
    client.post(f"/org/members/{member.id}/move", data={"csrf_token": token, "group_id": "", "grid_code": GRID})
    tx.expire_all()
    assert tx.get(PartyMember, member.id).group_id is None
    client.post(f"/org/community/{HONGQI}/ratings", data={"csrf_token": token, "group_id": str(new.id),
                                                          "stars": "5", "rated_on": "2026-06-30"})
    assert tx.scalar(select(StarRating.stars).where(StarRating.group_id == new.id)) == 5
    member_id = member.id
    client.post(f"/org/members/{member_id}/remove", data={"csrf_token": token})
    tx.expire_all()
    assert tx.get(PartyMember, member_id) is None
    actions = tx.execute(select(AuditEntry.action, AuditEntry.entity).where(AuditEntry.community_code == HONGQI)
                         .order_by(AuditEntry.id)).all()
    assert [tuple(a) for a in actions][-6:] == [("dissolve", "group"), ("create", "group"), ("create", "member"),
                                                ("move", "member"), ("rate", "group"), ("delete", "member")]


def test_reveal_on_screen_is_logged(client, login, csrf_of, tx):
    login("hongqi")
    token = csrf_of(client.get(f"/org/grid/{GRID}").text)
    member = tx.scalar(select(PartyMember).where(PartyMember.grid_code == GRID).order_by(PartyMember.id))
    resp = client.post(f"/org/reveal/member/{member.id}/id_number", data={"csrf_token": token})
    assert resp.status_code == 200 and member.id_number in resp.text
    view = tx.scalar(select(PiiView).order_by(PiiView.id.desc()))
    assert (view.entity, view.entity_id, view.field, view.channel) == ("member", member.id, "id_number", "screen")


def test_township_cannot_reveal(client, login, csrf_of, tx):
    login("hongqijie")
    token = csrf_of(client.get(f"/org/grid/{GRID}").text)
    member = tx.scalar(select(PartyMember).where(PartyMember.grid_code == GRID).order_by(PartyMember.id))
    resp = client.post(f"/org/reveal/member/{member.id}/phone", data={"csrf_token": token})
    assert resp.status_code == 403 and member.phone not in resp.text
    overview = client.get("/org").text
    assert "红旗社区" in overview


def test_grid_worker_has_no_organisation_pages(client, login):
    login("worker")
    assert client.get("/org").status_code == 403
    assert client.get(f"/org/grid/{GRID}").status_code == 403
    assert "党建网格" not in client.get("/").text
