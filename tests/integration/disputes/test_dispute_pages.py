"""Dispute pages: the board (filters, map layer), the register form, the dispute page with
masked parties, the logged reveal and an action through its form."""
from __future__ import annotations

from caseutil import COMMUNITY, GRID, grid_point
from sqlalchemy import select

from gridapp.models import Dispute, PiiView


def _register(client, csrf_of, **extra):
    page = client.get("/disputes/new")
    assert page.status_code == 200
    lon, lat = grid_point(GRID)
    data = {"csrf_token": csrf_of(page.text), "type_code": "03", "source": "walk_in", "summary": "物业费纠纷（虚构）",
            "party1_kind": "person", "party1_name": "李某某", "party1_phone": "10011112222",
            "party2_kind": "organisation", "party2_name": "测试单位物业", "risk_level": "major",
            "difficulty": "simple", "lon": str(lon), "lat": str(lat), **extra}
    return client.post("/disputes/new", data=data)


def test_register_page_board_and_dispute_page(client, tx, login, make_user, csrf_of):
    secretary = make_user("secretary", COMMUNITY)
    login(secretary.username)
    resp = _register(client, csrf_of)
    assert resp.status_code == 302, resp.text
    dispute_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/disputes/{dispute_id}")
    assert "李**" in page.text and "100****2222" in page.text and "10011112222" not in page.text
    assert 'data-action="accept"' in page.text and 'id="timeline"' in page.text
    board = client.get("/disputes?risk_level=major")
    assert 'id="dispute-figures"' in board.text
    assert f"/disputes/{dispute_id}" in board.text and "risk_level=major" in board.text  # map layer URL
    assert f"/disputes/{dispute_id}" not in client.get("/disputes?risk_level=grave").text
    revealed = client.get(f"/disputes/{dispute_id}?reveal=1")
    assert "10011112222" in revealed.text
    tx.expire_all()
    assert tx.scalar(select(PiiView.field).where(PiiView.user_id == secretary.id, PiiView.field == "phone"))
    act = client.post(f"/disputes/{dispute_id}/act", data={"csrf_token": csrf_of(page.text), "action": "accept",
                                                           "version": "1"})
    assert act.status_code == 302
    stale = client.post(f"/disputes/{dispute_id}/act", data={"csrf_token": csrf_of(page.text), "action": "fail",
                                                             "version": "1", "note": "x"}, follow_redirects=True)
    assert "已被他人更新" in stale.text
    tx.expire_all()
    assert tx.get(Dispute, dispute_id).status == "mediating"


def test_register_form_error_names_the_field_and_writes_nothing(client, tx, login, make_user, csrf_of):
    login(make_user("secretary", COMMUNITY).username)
    before = tx.scalar(select(Dispute.id).order_by(Dispute.id.desc()).limit(1))
    resp = _register(client, csrf_of, party1_id_number="12345")
    assert resp.status_code == 400 and "身份证号" in resp.text
    tx.expire_all()
    assert tx.scalar(select(Dispute.id).order_by(Dispute.id.desc()).limit(1)) == before
