"""Deadlines and flags across midnight in Asia/Shanghai; KPIs equal to hand-computed values."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from caseutil import COMMUNITY, DISTRICT, GRID, OTHER_GRID, T0, TOWNSHIP, make_case

from gridapp.analytics import facts
from gridapp.core import clock
from gridapp.errors import BadInput, Forbidden
from gridapp.incidents import present as case_present
from gridapp.incidents import queries as case_queries
from gridapp.incidents import rules as case_rules
from gridapp.incidents import workflow
from gridapp.models import CategoryRule, DepartmentMember, GridAssignment, User

H = timedelta(hours=1)


def _user(tx, name, role, scope=None, grids=()):
    user = User(username=f"k-{name}", display_name=name, role=role, scope_code=scope, password_hash="!")
    user.assignments = [GridAssignment(grid_code=g) for g in grids]
    tx.add(user)
    return user


@pytest.fixture
def people(tx):
    tx.add(CategoryRule(category_code="0102", level="简易", deadline_hours=4, department_code="DEMO-SZ"))
    users = {"sec": _user(tx, "sec", "secretary", COMMUNITY), "worker": _user(tx, "worker", "worker", grids=[GRID]),
             "handler": _user(tx, "handler", "worker"), "town": _user(tx, "town", "township", TOWNSHIP),
             "district": _user(tx, "district", "district", DISTRICT),
             "other": _user(tx, "other", "worker", grids=[OTHER_GRID])}
    tx.flush()
    tx.add(DepartmentMember(department_code="DEMO-SZ", user_id=users["handler"].id))  # a handler of the district
    tx.commit()
    return users


def _run(people, incident, steps):
    """steps: (actor key, action, params, hours after T0)."""
    for who, action, params, hours in steps:
        workflow.perform(people[who], incident.id, action, params, now=T0 + hours * H)


def _to_handled(at_file=1, handled=3):
    return [("sec", "accept", {}, 0.5), ("sec", "file", {}, at_file),
            ("sec", "dispatch", {"handler": "k-handler"}, at_file + 0.2),
            ("handler", "start", {}, at_file + 0.5), ("handler", "handle", {"note": "完成"}, handled)]


def test_deadline_across_midnight_in_shanghai(tx, people):
    reported = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)          # 22:00 on 2 March in Shanghai
    incident = make_case(people["worker"], reported_at=reported)
    tx.commit()
    filed = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)            # 22:30 local; rule: 4 calendar hours
    workflow.perform(people["sec"], incident.id, "accept", now=filed - H / 2)
    case = workflow.perform(people["sec"], incident.id, "file", now=filed)
    assert case.deadline_at == datetime(2026, 3, 2, 18, 30, tzinfo=UTC)   # 02:30 on 3 March local
    assert case.deadline_at.astimezone(clock.local_zone()).day == 3

    def flags(hour, minute, day=2):
        return case_present.deadline_flags(case, datetime(2026, 3, day, hour, minute, tzinfo=UTC))

    # 23:50 local on 2 March (same UTC date as the deadline): due within 24 h, but not today locally
    assert flags(15, 50) == {"overdue": False, "due_soon": True, "due_today": False}
    # 00:10 local on 3 March: now due today
    assert flags(16, 10) == {"overdue": False, "due_soon": True, "due_today": True}
    assert flags(18, 29)["overdue"] is False and flags(18, 31)["overdue"] is True
    for minute, expected in ((29, 0), (31, 1)):
        now = datetime(2026, 3, 2, 18, minute, tzinfo=UTC)
        items, total, *_ = case_queries.search(people["sec"], {"overdue": "true"}, now=now)
        assert total == expected and (not items or items[0].id == incident.id)
    # an approved 延期 of 24 h moves the deadline by 24 h and clears the flag
    workflow.perform(people["sec"], incident.id, "dispatch", {"handler": "k-handler"}, now=filed + H)
    workflow.perform(people["sec"], incident.id, "extend", {"hours": 24, "note": "雨天"}, now=filed + 2 * H)
    workflow.perform(people["town"], incident.id, "approve", {"approved": True}, now=filed + 3 * H)
    assert case.deadline_at == datetime(2026, 3, 3, 18, 30, tzinfo=UTC)
    assert flags(18, 31)["overdue"] is False
    # the local-date filter: reported 22:00 on 2 March local is in "2026-03-02", not in "2026-03-03"
    assert case_queries.search(people["sec"], {"from": "2026-03-02", "to": "2026-03-02"})[1] == 1
    assert case_queries.search(people["sec"], {"from": "2026-03-03", "to": "2026-03-03"})[1] == 0


def test_kpis_equal_hand_computed_values(tx, people):
    cases = {k: make_case(people["worker"]) for k in "ABCDE"}
    cases["F"] = make_case(people["worker"], reported_at=T0 - 24 * H)    # the day before: outside
    cases["G"] = make_case(people["other"], grid=OTHER_GRID)               # another grid
    tx.commit()
    # A: filed T0+1 (deadline T0+5), handled T0+3, closed T0+4 → on time; 4 h to close
    _run(people, cases["A"], _to_handled() + [("worker", "verify", {"passed": True}, 4)])
    # B: handled T0+2, verification fails (rework), handled again T0+6 (late), closed T0+7
    _run(people, cases["B"], _to_handled(handled=2) + [
        ("worker", "verify", {"passed": False, "note": "不合格"}, 3), ("handler", "start", {}, 4),
        ("handler", "handle", {"note": "返工完成"}, 6), ("worker", "verify", {"passed": True}, 7)])
    # C: extended by 24 h (deadline T0+29), handled T0+20, closed T0+21 → on time, extended
    _run(people, cases["C"], [("sec", "accept", {}, 0.5), ("sec", "file", {}, 1),
                              ("sec", "dispatch", {"handler": "k-handler"}, 1.2),
                              ("handler", "extend", {"hours": 24, "note": "等配件"}, 2),
                              ("sec", "approve", {"approved": True}, 2.5), ("handler", "start", {}, 3),
                              ("handler", "handle", {"note": "完成"}, 20),
                              ("worker", "verify", {"passed": True}, 21)])
    # D: not filed (不予立案)
    _run(people, cases["D"], [("sec", "reject", {"note": "不属实"}, 1)])
    # E: filed T0+1, dispatched, still open at T0+10 → overdue, due, not handled
    _run(people, cases["E"], [("sec", "accept", {}, 0.5), ("sec", "file", {}, 1),
                              ("sec", "dispatch", {"handler": "k-handler"}, 1.2)])
    _run(people, cases["F"], _to_handled() + [("worker", "verify", {"passed": True}, 4)])

    now = T0 + 10 * H
    result = facts.compute(people["sec"], "grid", GRID, "2026-03-02", "2026-03-02", now=now)
    assert result["counts"] == {"reported": 5, "filed": 4, "due": 4, "handled_on_time": 2, "closed": 3,
                                "closed_on_time": 2, "handled_ever": 3, "reworked": 1, "extended": 1}
    assert result["rates"] == {"filing_rate": 0.8, "on_time_handling_rate": 0.5, "closing_rate": 0.75,
                               "on_time_closing_rate": 0.6667, "rework_rate": 0.3333, "extension_rate": 0.25}
    assert result["time_to_close_hours"] == {"mean": 10.67, "median": 7.0}
    # the same cohort at community, township and district level (G is in another grid of the
    # same community, reported but never filed: only `reported` changes)
    for user, level, code in ((people["sec"], "community", COMMUNITY), (people["town"], "township", TOWNSHIP),
                              (people["district"], "district", DISTRICT)):
        wider = facts.compute(user, level, code, "2026-03-02", "2026-03-02", now=now)
        assert wider["counts"] == {**result["counts"], "reported": 6}
    # one statement for the total and every breakdown (facts.compute_by, the dashboard's) gives the
    # same figures: the grid's group is the grid's cohort above, G alone in its grid
    figures = ("counts", "rates", "time_to_close_hours", "overdue")

    def same(group, area):  # a group has no median (gridapp.analytics.facts)
        return {f: group[f] for f in figures} == {**{f: area[f] for f in figures}, "time_to_close_hours": {
            "mean": area["time_to_close_hours"]["mean"]}}
    total, by = facts.compute_by(people["sec"], "community", COMMUNITY, "2026-03-02", "2026-03-02",
                               by=("grid", "day", "category", "community", "township", "grid"), now=now)
    assert total["counts"] == {**result["counts"], "reported": 6}
    assert [g["code"] for g in by["grid"]] == sorted([GRID, OTHER_GRID])
    assert same(by["grid"][[g["code"] for g in by["grid"]].index(GRID)], result)
    assert by["grid"][[g["code"] for g in by["grid"]].index(OTHER_GRID)]["counts"] == {
        "reported": 1, **dict.fromkeys(("filed", "due", "handled_on_time", "closed", "closed_on_time",
                                        "handled_ever", "reworked", "extended"), 0)}
    for unit, code in (("day", "2026-03-02"), ("category", "0102"), ("community", COMMUNITY), ("township", TOWNSHIP)):
        assert [g["code"] for g in by[unit]] == [code] and same(by[unit][0], total), unit
    assert by["day"][0]["name"] is None and by["township"][0]["name"]
    assert facts.groups(people["sec"], "community", COMMUNITY, "2026-03-02", "2026-03-02", "grid", now) == by["grid"]
    with pytest.raises(BadInput):
        facts.compute_by(people["sec"], "community", COMMUNITY, by=("grid", "street"))
    # open start: F (reported the day before) joins the cohort
    assert facts.compute(people["sec"], "grid", GRID, None, "2026-03-02", now=now)["counts"]["closed"] == 4
    with pytest.raises(Forbidden):
        facts.compute(people["other"], "grid", GRID)


def test_kpi_api_scope_and_errors(client, bearer):
    headers = bearer("hongqi")
    ok = client.get(f"/api/v1/kpi?level=community&code={COMMUNITY}&from=2026-01-01&to=2026-12-31", headers=headers)
    assert ok.status_code == 200 and set(ok.get_json()["rates"]) == {
        "filing_rate", "on_time_handling_rate", "closing_rate", "on_time_closing_rate", "rework_rate",
        "extension_rate"}
    assert client.get("/api/v1/kpi?level=district&code=610202", headers=headers).status_code == 403
    assert client.get("/api/v1/kpi?level=planet&code=1", headers=headers).status_code == 400
    assert client.get("/api/v1/kpi?level=grid&code=999", headers=headers).status_code == 404
    bad = client.get(f"/api/v1/kpi?level=community&code={COMMUNITY}&from=2026-13-01", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_from"


def test_openapi_covers_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    assert {p: set(ops) for p, ops in doc["paths"].items()} == routes
    assert doc["paths"]["/api/v1/incidents/{incident_id}/actions/{action}"]["post"]["parameters"][1][
        "schema"]["enum"] == list(case_rules.ACTIONS)


def test_incident_list_filters_and_pages(client, tx, bearer, people):
    for _ in range(3):
        make_case(people["worker"])
    make_case(people["worker"], "filed")
    tx.commit()
    headers = bearer("hongqi")
    day = "&from=2026-03-02&to=2026-03-02"
    fc = client.get(f"/api/v1/incidents?state=reported&per_page=2&page=1{day}", headers=headers).get_json()
    assert fc["type"] == "FeatureCollection" and fc["numberMatched"] == 3 and fc["numberReturned"] == 2
    assert fc["features"][0]["properties"]["version"] == 1
    page2 = client.get(f"/api/v1/incidents?state=reported&per_page=2&page=2{day}", headers=headers).get_json()
    assert page2["numberReturned"] == 1
    assert client.get(f"/api/v1/incidents?state=filed&grid={GRID}", headers=headers).get_json()["numberMatched"] == 1
    bad = client.get("/api/v1/incidents?state=flying", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_state_filter"
