"""PIPL: phones and ID numbers masked by default; full values only for allowed roles, each view logged."""
from __future__ import annotations

from sqlalchemy import func, select

from gridapp.accounts.pii import mask_id_number, mask_phone
from gridapp.models import PartyMember, PiiView, User

HONGQI = "610202002010"


def test_mask_functions():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone(None) is None and mask_id_number("") == ""


def test_member_list_is_masked_and_logs_nothing(client, bearer, tx):
    before = tx.scalar(select(func.count()).select_from(PiiView))
    rows = client.get(f"/api/v1/party-members?community_code={HONGQI}", headers=bearer("hongqi")).get_json()
    assert rows, "the demo roster has members in 红旗社区"
    full = {m.id: m for m in tx.scalars(select(PartyMember).where(PartyMember.community_code == HONGQI))}
    for row in rows:
        member = full[row["id"]]
        assert row["phone"] == mask_phone(member.phone) != member.phone
        assert row["id_number"] == mask_id_number(member.id_number) and "********" in row["id_number"]
    assert tx.scalar(select(func.count()).select_from(PiiView)) == before


def test_secretary_reveals_and_each_view_is_logged(client, bearer, tx):
    hongqi = tx.scalar(select(User).where(User.username == "hongqi"))
    resp = client.get(f"/api/v1/party-members?community_code={HONGQI}&grid_code={HONGQI}001&reveal=id_number",
                      headers=bearer("hongqi"))
    assert resp.status_code == 200
    rows = resp.get_json()
    assert rows and all(len(r["id_number"]) == 18 and "*" not in r["id_number"] for r in rows)
    assert all("*" in r["phone"] for r in rows)  # not asked: still masked
    views = tx.scalars(select(PiiView).where(PiiView.user_id == hongqi.id)).all()
    assert sorted(v.entity_id for v in views) == sorted(r["id"] for r in rows)
    assert {(v.entity, v.field, v.channel) for v in views} == {("member", "id_number", "api")}
    assert all(v.at is not None for v in views)


def test_roles_without_need_cannot_reveal_and_nothing_is_logged(client, bearer, tx):
    before = tx.scalar(select(func.count()).select_from(PiiView))
    for username in ("district", "hongqijie"):
        resp = client.get(f"/api/v1/party-members?community_code={HONGQI}&reveal=phone", headers=bearer(username))
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "pii_forbidden"
    assert tx.scalar(select(func.count()).select_from(PiiView)) == before


def test_id_number_validation(client, bearer):
    bad = client.post("/api/v1/party-members", headers=bearer("hongqi"), json={
        "community_code": HONGQI, "name": "测试党员", "kind": "resident", "id_number": "61020219000101000Y"})
    assert bad.status_code == 400 and bad.get_json()["error"]["details"]["field"] == "id_number"
    ok = client.post("/api/v1/party-members", headers=bearer("hongqi"), json={
        "community_code": HONGQI, "name": "测试党员", "kind": "resident", "id_number": "11010519491231002x",
        "phone": "13812345678"})
    assert ok.status_code == 201 and ok.get_json()["id_number"] == "110105********002X"
    assert ok.get_json()["phone"] == "138****5678"
