"""The demo roster reproduces the district report's figures (shared/seeds) through the API."""
from __future__ import annotations

from sqlalchemy import func, select

from gridapp.accounts.pii import ID_NUMBER_RE
from gridapp.demo import load_roster
from gridapp.demo.roster import _id_number, allocate, check_char
from gridapp.models import GridAssignment, GridPartyGroup, GridWorker, PartyMember, User


def test_district_coverage_reports_the_report_figures(client, bearer):
    resp = client.get("/api/v1/coverage?level=district", headers=bearer("district"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["code"] == "610202"
    figures = body["figures"]
    assert (figures["communities"], figures["grids"]) == (20, 261)
    assert (figures["groups"], figures["groups_single"], figures["groups_joint"]) == (130, 77, 53)
    assert 1400 <= figures["members"] < 1500
    assert (figures["stationed_units"], figures["units_with_seat"]) == (48, 48)
    assert (figures["grids_with_group"], figures["grids_without_worker"]) == (256, 4)
    assert sum(c["figures"]["grids"] for c in body["children"]) == 261


def test_demo_roster_is_idempotent_and_fictitious(tx):
    assert load_roster(log=lambda m: None) == {}
    assert tx.scalar(select(func.count()).select_from(GridPartyGroup)) == 130
    names = tx.scalars(select(PartyMember.name)).all()
    assert all(n.startswith("演示党员") for n in names)
    ids = tx.scalars(select(PartyMember.id_number)).all()
    assert all(ID_NUMBER_RE.match(i) and i[6:10] == "1900" for i in ids)
    assert any(i.endswith("X") for i in ids)


def test_demo_worker_login_linked_and_scope_kept(tx):
    login = tx.scalar(select(User).where(User.username == "worker"))
    worker = tx.scalar(select(GridWorker).where(GridWorker.user_id == login.id))
    assert [g.grid_code for g in worker.grids] == ["610202002010001"]
    assert tx.scalars(select(GridAssignment.grid_code).where(GridAssignment.user_id == login.id)).all() == [
        "610202002010001"]


def test_allocate_and_id_check_digit():
    assert allocate(130, [3, 1]) == [98, 32] and sum(allocate(48, [1] * 20)) == 48
    # GB 11643's published example 11010519491231002X
    assert check_char("11010519491231002") == "X"
    assert _id_number(0) == "61020219000101000" + check_char("61020219000101000")
