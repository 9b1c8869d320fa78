"""Exports of every list (issue 23): the file of a list holds exactly the rows the list counts
for the same filters and user (its own query function), in csv, xlsx and geojson; scope holds;
personal values are masked unless an allowed role asks to reveal them, and each revealed value is
logged; a bad filter is a 400 naming the field before any byte."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from caseutil import COMMUNITY, GRID, OTHER_COMMUNITY, OTHER_GRID, PERSON, T0, make_case
from openpyxl import load_workbook
from sqlalchemy import func, select

from gridapp.disputes import queries as dispute_queries
from gridapp.disputes.register import register
from gridapp.incidents import queries as case_queries
from gridapp.inspections import figures
from gridapp.inspections.notices import notices
from gridapp.models import Incident, PiiView, User
from gridapp.org.members import list_members
from gridapp.places import service as places

OTHER_COMMUNITY_GRID = OTHER_COMMUNITY + "001"


def _user(tx, username):
    return tx.scalar(select(User).where(User.username == username))


def _csv_rows(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.data[:300]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    return rows[1:]


def _count(client, path) -> int:
    return len(_csv_rows(client.get(path)))


@pytest.fixture
def cases(tx, make_user):
    reporter = make_user("worker", grids=(GRID,))
    made = [make_case(reporter, "reported", grid=GRID, reported_at=T0 + timedelta(days=i)) for i in range(3)]
    made += [make_case(reporter, "dispatched", grid=OTHER_GRID, category="0201", reported_at=T0 + timedelta(days=i),
                       deadline_at=T0 + timedelta(days=i, hours=2)) for i in range(2)]
    made.append(make_case(reporter, "reported", grid=OTHER_COMMUNITY_GRID, reported_at=T0))
    tx.commit()
    return made


CASE_FILTERS = ("", "state=reported", "category=02", f"grid={OTHER_GRID}", "overdue=true",
                "from=2026-03-03&to=2026-03-04",
                f"community={COMMUNITY}&state=reported,dispatched", "bbox=100,20,120,40", "bbox=1,1,2,2")


@pytest.mark.parametrize("who", ["district", "hongqi"])
def test_case_exports_count_as_the_board(client, tx, login, cases, who):
    login(who)
    user = _user(tx, who)
    for query in CASE_FILTERS:
        args = dict(a.split("=", 1) for a in query.split("&") if a)
        total = case_queries.search(user, args)[1]
        assert _count(client, f"/cases/export.csv?{query}") == total, query
    rows = _csv_rows(client.get("/cases/export.csv"))
    assert rows and {r[5] for r in rows} <= ({COMMUNITY} if who == "hongqi" else {r[5] for r in rows})
    if who == "hongqi":
        assert str(cases[-1].id) not in {r[0] for r in rows}  # another community's case: out of scope
    else:
        assert str(cases[-1].id) in {r[0] for r in rows}


def test_case_export_formats_agree(client, tx, login, cases):
    login("district")
    query = f"community={COMMUNITY}&from=2026-03-01&to=2026-03-31"
    total = case_queries.search(_user(tx, "district"), {"community": COMMUNITY, "from": "2026-03-01",
                                                        "to": "2026-03-31"})[1]
    assert total >= 5
    assert _count(client, f"/cases/export.csv?{query}") == total
    fc = json.loads(client.get(f"/cases/export.geojson?{query}").data)
    assert len(fc["features"]) == total
    feature = next(f for f in fc["features"] if f["properties"]["id"] == cases[0].id)
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["grid_code"] == GRID
    resp = client.get(f"/cases/export.xlsx?{query}")
    assert resp.mimetype.endswith("spreadsheetml.sheet") and "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert ws.max_row - 1 == total and ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert ws["B2"].is_date  # reported_at: a date-time cell, local wall clock
    excel = client.get(f"/cases/export.csv?excel=1&{query}")
    assert excel.data.startswith("\ufeff".encode())


def test_bad_filter_is_a_400_naming_the_field(client, login):
    login("district")
    for path, field in (("/cases/export.csv?state=nope", "未知的状态 nope"), ("/cases/export.csv?bbox=1,2", "bbox"),
                        ("/disputes/export.xlsx?from=2026-13-01", None), ("/places/export.csv?status=x", None)):
        resp = client.get(path)
        assert resp.status_code == 400, path
        assert field is None or field in resp.text, path
    assert client.get("/cases/export.pdf").status_code == 404


@pytest.fixture
def disputes(tx):
    secretary = _user(tx, "hongqi")
    made = []
    for risk in ("general", "major", "major"):
        made.append(register(secretary, {"type_code": "03", "summary": "邻里纠纷（虚构）", "source": "walk_in",
                                         "parties": [PERSON], "risk_level": risk, "lon": None, "lat": None}
                             | dict(zip(("lon", "lat"), _point(GRID), strict=True))))
    return made


def _point(grid):
    from caseutil import grid_point
    return grid_point(grid)


def test_dispute_exports_count_as_the_register_and_mask_parties(client, tx, login, disputes):
    login("district")
    district = _user(tx, "district")
    for query in ("", "risk_level=major", "state=registered", f"community={COMMUNITY}", "overdue=true"):
        args = dict(a.split("=", 1) for a in query.split("&") if a)
        assert _count(client, f"/disputes/export.csv?{query}") == dispute_queries.search(district, args)[1], query
    rows = _csv_rows(client.get("/disputes/export.csv?risk_level=major"))
    assert len(rows) >= 2
    text = "\n".join(",".join(r) for r in rows)
    assert PERSON["phone"] not in text and PERSON["id_number"] not in text and "张**" in text
    before = tx.scalar(select(func.count()).select_from(PiiView))
    assert client.get("/disputes/export.csv?reveal=1").status_code == 200  # district: handler of 疑难 only
    login("worker")
    assert client.get("/disputes/export.csv?reveal=1").status_code == 403
    login("hongqi")
    revealed = _csv_rows(client.get("/disputes/export.csv?risk_level=major&reveal=1"))
    assert PERSON["phone"] in "\n".join(",".join(r) for r in revealed)
    tx.expire_all()
    logged = tx.scalar(select(func.count()).select_from(PiiView).where(PiiView.channel == "export",
                                                                      PiiView.user_id == _user(tx, "hongqi").id))
    assert logged >= 3 * len(revealed) - len(revealed)  # phone, id number and name of each person party
    assert tx.scalar(select(func.count()).select_from(PiiView)) > before


def test_place_notice_and_inspection_exports_count_as_their_lists(client, tx, login):
    district = _user(tx, "district")
    lon, lat = _point(OTHER_COMMUNITY_GRID)
    places.create(district, {"name": "导出测试场所（虚构）", "type": places.types()[0].code, "lon": lon, "lat": lat})
    login("district")
    for type_code, status in ((None, None), (None, "operating"), ("recycling", None)):
        query = "&".join(f"{k}={v}" for k, v in (("type", type_code), ("status", status)) if v)
        assert _count(client, f"/places/export.csv?{query}") == len(places.search(district, type_code, status))
    fc = json.loads(client.get("/places/export.geojson").data)
    assert len(fc["features"]) == len(places.search(district)) and fc["features"][0]["geometry"]["type"] == "Point"
    assert _count(client, "/notices/export.csv") == len(notices(district))
    for args in ({"level": "district", "code": "610202"}, {"level": "community", "code": COMMUNITY},
                 {"level": "district", "code": "610202", "from": "2026-11-01", "to": "2026-11-30"}):
        query = "&".join(f"{k}={v}" for k, v in args.items())
        expected = figures.compute(district, args["level"], args["code"], args.get("from"), args.get("to"))
        assert _count(client, f"/inspections/export.csv?{query}") == expected["counts"]["inspections"], query
    login("hongqi")
    hongqi = _user(tx, "hongqi")
    assert _count(client, "/places/export.csv") == len(places.search(hongqi)) < len(places.search(district))


def test_member_exports_count_scope_and_reveal(client, tx, login):
    login("hongqi")
    hongqi = _user(tx, "hongqi")
    members = list_members(hongqi, COMMUNITY)
    assert members
    rows = _csv_rows(client.get(f"/org/party-members/export.csv?community={COMMUNITY}"))
    assert len(rows) == len(members)
    phones = {m.phone for m in members if m.phone}
    assert phones and not phones & {r[4] for r in rows}
    assert client.get(f"/org/party-members/export.csv?community={OTHER_COMMUNITY}").status_code == 403
    full = _csv_rows(client.get(f"/org/party-members/export.csv?community={COMMUNITY}&reveal=1"))
    assert phones <= {r[4] for r in full}
    login("hongqijie")
    assert client.get(f"/org/party-members/export.csv?community={COMMUNITY}&reveal=1").status_code == 403
    assert _count(client, "/org/party-members/export.csv") == len(list_members(_user(tx, "hongqijie")))


def test_every_list_page_links_its_export(client, login):
    login("district")
    for page, link in (("/cases?state=reported", "/cases/export.xlsx?state=reported"),
                       ("/cases/map", "/cases/export.csv"),
                       ("/disputes?risk_level=major", "/disputes/export.geojson?risk_level=major"),
                       ("/places?status=operating", "/places/export.csv?status=operating"),
                       ("/notices", "/notices/export.xlsx"),
                       (f"/inspection-figures?level=community&code={COMMUNITY}", "/inspections/export.csv?"),
                       (f"/org/community/{COMMUNITY}", "/org/party-members/export.xlsx?community="),
                       (f"/org/grid/{GRID}", "/org/party-members/export.csv?")):
        html = client.get(page).text
        assert link in html.replace("&amp;", "&"), page


def test_reported_by_me_is_the_callers_own_reports_on_the_board_the_api_and_the_export(
        client, tx, login, make_user, bearer):
    """我的上报: ``reported_by_me=true`` keeps the cases the caller reported — on the board, in the
    API list and in the export (the same rows) — and drops a colleague's case in the same grid."""
    worker = _user(tx, "worker")
    colleague = make_user("worker", grids=(GRID,))
    own = [make_case(worker, "reported", grid=GRID, reported_at=T0 + timedelta(hours=i)) for i in range(2)]
    other = make_case(colleague, "reported", grid=GRID, reported_at=T0)
    tx.commit()
    expected = {str(i) for i in tx.scalars(select(Incident.id).where(Incident.reporter_id == worker.id))}
    assert {str(c.id) for c in own} <= expected and str(other.id) not in expected
    login("worker")
    everything = {r[0] for r in _csv_rows(client.get("/cases/export.csv"))}
    assert str(other.id) in everything  # the colleague's case is visible without the filter
    assert {r[0] for r in _csv_rows(client.get("/cases/export.csv?reported_by_me=true"))} == expected
    assert case_queries.search(worker, {"reported_by_me": "true"})[1] == len(expected)
    board = client.get("/cases?reported_by_me=true").text
    assert all(f'href="/cases/{c.id}"' in board for c in own) and f'href="/cases/{other.id}"' not in board
    assert 'name="reported_by_me" value="true" checked' in board
    assert 'href="/cases?reported_by_me=true"' in client.get("/").text  # 我的上报 in the worker's menu
    listed = client.get("/api/v1/incidents?reported_by_me=true&per_page=500", headers=bearer("worker")).get_json()
    assert {str(f["id"]) for f in listed["features"]} == expected
    bad = client.get("/api/v1/incidents?reported_by_me=maybe", headers=bearer("worker"))
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "reported_by_me"
