"""Dispute figures on a small hand-computed fixture, and the JSON API end to end."""
from __future__ import annotations

from datetime import timedelta

import pytest
from caseutil import COMMUNITY, DISTRICT, GRID, OTHER_COMMUNITY, PERSON, T0, TOWNSHIP, grid_point
from sqlalchemy import func, select

from gridapp.disputes import queries as dispute_queries
from gridapp.disputes import register as dispute_register
from gridapp.disputes import workflow as dispute_workflow
from gridapp.models import PiiView

OTHER = "610202002001001"  # a grid of 翠溪社区


@pytest.fixture
def fixture_set(tx, make_user):
    """Six disputes (hand-computed figures below):

    | # | community | type | outcome | closed after | visit |
    |---|---|---|---|---|---|
    | 1 | 红旗 | 02 邻里 | resolved | 10 days | 5 |
    | 2 | 红旗 | 02 邻里 | resolved (extended) | 40 days | 3 |
    | 3 | 红旗 | 03 房产物业 | failed | 5 days | — |
    | 4 | 翠溪 | 04 劳动争议 | referred court | 8 days | — |
    | 5 | 翠溪 | 02 邻里 | referred police | 3 days | — |
    | 6 | 翠溪 | 02 邻里 | open (mediating), registered 2026-04-20 | — | — |
    """
    district = make_user("district", DISTRICT)

    def new(grid, type_code, at):
        lon, lat = grid_point(grid)
        return dispute_register.register(district, {"type_code": type_code, "summary": "统计测试（虚构）", "lon": lon,
                                            "lat": lat, "parties": [PERSON]}, now=at)

    admin = make_user("admin")

    def do(d, action, after, who=district, **params):
        dispute_workflow.perform(who, d.id, action, params, now=d.registered_at + timedelta(days=after))

    d1, d2, d3 = new(GRID, "02", T0), new(GRID, "02", T0), new(GRID, "03", T0)
    d4, d5 = new(OTHER, "04", T0), new(OTHER, "02", T0)
    d6 = new(OTHER, "02", T0 + timedelta(days=49))
    for d in (d1, d2, d3, d4, d5, d6):
        do(d, "accept", 1)
    do(d1, "succeed", 10, agreement="协议一")
    do(d1, "visit", 12, satisfaction=5)
    do(d2, "extend", 20, days=20)
    do(d2, "approve", 21, who=admin, approved=True)
    do(d2, "succeed", 40, agreement="协议二")
    do(d2, "visit", 41, satisfaction=3)
    do(d3, "fail", 5, note="分歧大")
    do(d4, "refer", 8, channel="court", court_case_no="（2026）测试001号")
    do(d5, "refer", 3, channel="police")
    return district


def test_figures_of_the_district(tx, fixture_set):
    s = dispute_queries.stats(fixture_set, "district", DISTRICT, "2026-03-01", "2026-04-30")
    assert s["counts"] == {"registered": 6, "closed_out": 5, "resolved": 2, "resolved_within_30_days": 1,
                           "failed": 1, "open": 1, "overdue": 1}
    assert s["resolution_rate"] == 0.4  # 2 / 5
    assert s["referred"] == {"court": 1, "police": 1, "petition": 0}
    assert s["satisfaction"] == {"visits": 2, "mean": 4.0}
    assert {t["code"]: (t["registered"], t["closed_out"], t["resolved"]) for t in s["by_type"]} == \
        {"02": (4, 3, 2), "03": (1, 1, 0), "04": (1, 1, 0)}
    assert {c["code"]: (c["registered"], c["resolved"]) for c in s["by_community"]} == \
        {COMMUNITY: (3, 2), OTHER_COMMUNITY: (3, 0)}


def test_figures_of_a_community_and_a_date_range(tx, fixture_set):
    s = dispute_queries.stats(fixture_set, "community", OTHER_COMMUNITY, "2026-03-01", "2026-03-31")
    assert s["counts"]["registered"] == 2 and s["counts"]["closed_out"] == 2 and s["resolution_rate"] == 0.0
    t = dispute_queries.stats(fixture_set, "township", TOWNSHIP, "2026-03-01", "2026-04-30")
    assert t["counts"]["registered"] == 6


def test_stats_api_scope_and_errors(client, tx, fixture_set, bearer, make_user):
    secretary = make_user("secretary", COMMUNITY)
    h = bearer(secretary.username)
    resp = client.get(f"/api/v1/disputes/stats?level=community&code={COMMUNITY}", headers=h)
    assert resp.status_code == 200 and resp.get_json()["counts"]["resolved"] >= 2  # with the demo set
    ranged = client.get(f"/api/v1/disputes/stats?level=community&code={COMMUNITY}&from=2026-03-01&to=2026-04-30",
                        headers=h).get_json()
    assert (ranged["counts"]["registered"], ranged["counts"]["resolved"], ranged["resolution_rate"]) == (3, 2, 0.6667)
    assert client.get(f"/api/v1/disputes/stats?level=district&code={DISTRICT}", headers=h).status_code == 403
    assert client.get("/api/v1/disputes/stats?level=planet&code=1", headers=h).status_code == 400


def test_api_register_act_and_reveal(client, tx, bearer, make_user):
    secretary = make_user("secretary", COMMUNITY)
    h = bearer(secretary.username)
    lon, lat = grid_point(GRID)
    body = {"type_code": "01", "summary": "家庭矛盾（虚构）", "lon": lon, "lat": lat, "source": "walk_in",
            "parties": [PERSON], "risk_level": "major", "escalation_risk": True}
    resp = client.post("/api/v1/disputes", json=body, headers=h)
    assert resp.status_code == 201, resp.get_json()
    d = resp.get_json()
    assert d["parties"][0]["phone"] == "100****5678" and d["grid_code"] == GRID and d["escalation_risk"] is True
    url = f"/api/v1/disputes/{d['id']}"
    ok = client.post(f"{url}/actions/accept", json={"version": d["version"]}, headers=h)
    assert ok.status_code == 200 and ok.get_json()["status"] == "mediating"
    stale = client.post(f"{url}/actions/fail", json={"version": d["version"], "note": "x"}, headers=h)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_version"
    assert client.get(f"{url}?reveal=true", headers=h).get_json()["parties"][0]["phone"] == "10012345678"
    listing = client.get("/api/v1/disputes?risk_level=major", headers=h).get_json()
    assert d["id"] in [f["id"] for f in listing["features"]]
    assert {f["properties"]["risk_level"] for f in listing["features"]} == {"major"}
    assert not any("parties" in f["properties"] for f in listing["features"])
    bad = client.post("/api/v1/disputes", json={**body, "amount": "lots"}, headers=h)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_amount"
    township = bearer(make_user("township", TOWNSHIP).username)
    assert client.get(f"{url}?reveal=true", headers=township).status_code == 403
    # issue 18: the handler at a dispute's current level may reveal its parties, logged (rules.py)
    district = bearer(make_user("district", DISTRICT).username)
    complex_ = client.post("/api/v1/disputes", json={**body, "difficulty": "complex"}, headers=h).get_json()
    views = tx.scalar(select(func.count()).select_from(PiiView))
    shown = client.get(f"/api/v1/disputes/{complex_['id']}?reveal=true", headers=township)
    assert shown.status_code == 200 and shown.get_json()["parties"][0]["phone"] == "10012345678"
    assert tx.scalar(select(func.count()).select_from(PiiView)) == views + 3  # name, phone, ID number
    assert client.get(f"/api/v1/disputes/{complex_['id']}?reveal=true", headers=district).status_code == 403


def test_dispute_types_are_editable(client, tx, bearer, make_user):
    h = bearer(make_user("district", DISTRICT).username)
    resp = client.post("/api/v1/dispute-types", json={"code": "10", "name": "环境污染（测试）"}, headers=h)
    assert resp.status_code == 200
    names = [t["name"] for t in client.get("/api/v1/dispute-types", headers=h).get_json()]
    assert "环境污染（测试）" in names and "婚姻家庭" in names
    client.post("/api/v1/dispute-types", json={"code": "10", "name": "环境污染（测试）", "active": False}, headers=h)
    assert "环境污染（测试）" not in [t["name"] for t in client.get("/api/v1/dispute-types", headers=h).get_json()]
    worker = bearer(make_user("worker", grids=[GRID]).username)
    assert client.post("/api/v1/dispute-types", json={"code": "11", "name": "x"}, headers=worker).status_code == 403


def test_mediators_and_committees(client, tx, bearer, make_user):
    h = bearer(make_user("secretary", COMMUNITY).username)
    resp = client.post("/api/v1/mediators", json={"name": "调解员李某（虚构）", "area_code": COMMUNITY,
                                                  "committee_name": "红旗社区人民调解委员会"}, headers=h)
    assert resp.status_code == 201
    outside = client.post("/api/v1/mediators", json={"name": "x", "committee_name": "y", "area_code": OTHER_COMMUNITY},
                          headers=h)  # issue 18: an area outside the scope answers as an unknown one
    assert outside.status_code == 404 and outside.get_json()["error"]["field"] == "area_code"


def test_demo_set_is_fictitious_loaded_once_and_shows_figures(tx, app):
    from gridapp.demo import DISTRICT_CODE
    from gridapp.demo.disputes import SPECS, load_demo_disputes
    from gridapp.models import Dispute, DisputeParty, User

    rows = tx.scalars(select(Dispute).where(Dispute.district_code == DISTRICT_CODE,
                                            Dispute.summary.endswith("（演示）"))).all()
    assert len(rows) == len(SPECS)
    assert {r.status for r in rows} == {"registered", "mediating", "resolved", "failed", "referred"}
    assert all(p.phone.startswith("100") for p in tx.scalars(select(DisputeParty)) if p.phone)
    assert load_demo_disputes(DISTRICT_CODE, log=lambda m: None) == 0  # idempotent
    admin = tx.scalar(select(User).where(User.username == "admin"))
    s = dispute_queries.stats(admin, "district", DISTRICT_CODE, "2026-07-01", "2026-11-20")  # the demo's dates
    assert s["counts"]["registered"] == len(SPECS) and 0 < s["resolution_rate"] < 1
