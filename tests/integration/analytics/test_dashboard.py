"""The district review dashboard (issue 7): its figures are the services' figures for the same
period and scope, a township user sees only their township, the reports are safe and exact."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from caseutil import COMMUNITY, DISTRICT, GRID, OTHER_COMMUNITY, PERSON, T0, TOWNSHIP, grid_point, make_case
from openpyxl import load_workbook
from sqlalchemy import select

from gridapp.analytics import dashboard
from gridapp.disputes import register as dispute_register
from gridapp.models import AdminArea, Grid, User

PERIOD = {"from": "2026-03-01", "to": "2026-03-07"}
PREVIOUS = {"from": "2026-02-22", "to": "2026-02-28"}
OTHER_TOWNSHIP = "610202001"


@pytest.fixture
def data(tx):
    """Cases and disputes in three townships' grids, in the period and the previous one."""
    district = tx.scalar(select(User).where(User.username == "district"))
    far_grid = tx.scalar(select(Grid.code).where(Grid.community_code.like(OTHER_TOWNSHIP + "%")).order_by(Grid.code))
    other_grid = tx.scalar(select(Grid.code).where(Grid.community_code == OTHER_COMMUNITY).order_by(Grid.code))
    for grid, status, days in ((GRID, "reported", 0), (GRID, "filed", 1), (GRID, "closed", 2),
                               (other_grid, "dispatched", 3), (far_grid, "filed", 0), (far_grid, "reported", 5),
                               (GRID, "filed", -5), (far_grid, "reported", -3), (GRID, "reported", -30)):
        make_case(district, status, grid=grid, reported_at=T0 + timedelta(days=days),
                  category="0103" if days % 2 else "0102")
    tx.commit()
    for grid, days in ((GRID, 0), (other_grid, 2), (far_grid, 1), (far_grid, -4)):
        lon, lat = grid_point(grid)
        dispute_register.register(district, {"type_code": "02", "summary": "看板测试（虚构）", "lon": lon, "lat": lat,
                                     "parties": [PERSON]}, now=T0 + timedelta(days=days))
    return {"far_grid": far_grid, "other_grid": other_grid}


def _get(client, url, headers):
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, (url, resp.get_json())
    return resp.get_json()


@pytest.mark.parametrize("username,level,code", [("district", "district", DISTRICT),
                                                 ("hongqijie", "township", TOWNSHIP)])
def test_dashboard_figures_equal_the_endpoints(client, bearer, data, username, level, code):
    headers = bearer(username)
    area = f"level={level}&code={code}"
    dash = _get(client, f"/api/v1/dashboard?from={PERIOD['from']}&to={PERIOD['to']}", headers)
    assert (dash["level"], dash["code"]) == (level, code)
    assert dash["period"] == {**PERIOD, "days": 7, "previous_from": PREVIOUS["from"], "previous_to": PREVIOUS["to"]}
    for key, period in (("current", PERIOD), ("previous", PREVIOUS)):
        span = f"from={period['from']}&to={period['to']}"
        assert dash["kpi"][key] == _get(client, f"/api/v1/kpi?{area}&{span}", headers)
        assert dash["disputes"][key] == _get(client, f"/api/v1/disputes/stats?{area}&{span}", headers)
        assert dash["inspections"][key] == _get(client, f"/api/v1/inspection-figures?{area}&{span}", headers)
    assert dash["coverage"] == _get(client, f"/api/v1/coverage?{area}", headers)
    assert dash["kpi"]["current"]["counts"]["reported"] == (6 if level == "district" else 4)
    assert dash["kpi"]["previous"]["counts"]["reported"] == (2 if level == "district" else 1)
    # every sub-area row equals the endpoints called for that sub-area
    child = dash["child_level"]
    assert [r["code"] for r in dash["children"]] == [c["code"] for c in dash["coverage"]["children"]]
    span = f"from={PERIOD['from']}&to={PERIOD['to']}"
    for row in dash["children"]:
        sub = f"level={child}&code={row['code']}"
        k = _get(client, f"/api/v1/kpi?{sub}&{span}", headers)
        if k["counts"]["reported"]:  # a breakdown carries no median (gridapp.analytics.facts): the mean
            assert {x: row["kpi"][x] for x in ("counts", "rates", "time_to_close_hours", "overdue")} == \
                {**{x: k[x] for x in ("counts", "rates", "overdue")},
                 "time_to_close_hours": {"mean": k["time_to_close_hours"]["mean"]}}
        else:
            assert row["kpi"] is None
        s = _get(client, f"/api/v1/disputes/stats?{sub}&{span}", headers)
        if s["counts"]["registered"]:
            assert {x: row["disputes"][x] for x in ("counts", "referred", "resolution_rate")} == \
                {x: s[x] for x in ("counts", "referred", "resolution_rate")}
        else:
            assert row["disputes"] is None
        assert row["coverage"] == _get(client, f"/api/v1/coverage?{sub}", headers)["figures"]
    assert sum(r["kpi"]["counts"]["reported"] for r in dash["children"] if r["kpi"]) == \
        dash["kpi"]["current"]["counts"]["reported"]
    # charts: the trend per day and the categories add up to the period's figures
    trend = dash["charts"]["trend"]
    assert dash["charts"]["unit"] == "day"
    assert sum(g["counts"]["reported"] for g in trend["incidents"]) == dash["kpi"]["current"]["counts"]["reported"]
    assert sum(g["counts"]["registered"] for g in trend["disputes"]) == \
        dash["disputes"]["current"]["counts"]["registered"]
    assert {g["code"] for g in dash["charts"]["by_category"]} == {"0102", "0103"}
    # the choropleth layer carries the same figures per sub-area, density per km²
    layer = _get(client, f"/api/v1/dashboard/areas?{area}&{span}", headers)
    by_code = {r["code"]: r for r in dash["children"]}
    assert {f["properties"]["code"] for f in layer["features"]} <= set(by_code)
    for f in layer["features"]:
        p, row = f["properties"], by_code[f["properties"]["code"]]
        assert p["incidents"] == (row["kpi"]["counts"]["reported"] if row["kpi"] else 0)
        assert p["gap"] == row["gap"] and p["area_km2"] > 0
        assert p["density"] == round(p["incidents"] / p["area_km2"], 2)


def test_township_user_sees_only_their_township(client, bearer, data):
    headers = bearer("hongqijie")
    dash = _get(client, "/api/v1/dashboard", headers)
    assert (dash["level"], dash["code"]) == ("township", TOWNSHIP)
    assert dash["children"] and all(r["code"].startswith(TOWNSHIP) for r in dash["children"])
    assert all(g["code"].startswith(TOWNSHIP) for g in dash["charts"]["by_community"] if g["code"])
    grids = _get(client, "/api/v1/dashboard/areas?by=grid", headers)
    assert grids["features"] and all(f["id"].startswith(TOWNSHIP) for f in grids["features"])
    # drilling down inside the township works; other townships and the district are refused
    community = _get(client, f"/api/v1/dashboard?level=community&code={COMMUNITY}", headers)
    assert community["child_level"] == "grid" and GRID in {r["code"] for r in community["children"]}
    grid = _get(client, f"/api/v1/dashboard?level=grid&code={GRID}", headers)
    assert [t["code"] for t in grid["trail"]] == [DISTRICT, TOWNSHIP, COMMUNITY, GRID] and grid["children"] == []
    p = grid["period"]  # no period given: the last 30 days
    # the dashboard's figures of the grid are /api/v1/kpi's for the same period, median included
    current, endpoint = grid["kpi"]["current"], _get(
        client, f"/api/v1/kpi?level=grid&code={GRID}&from={p['from']}&to={p['to']}", headers)
    assert p["days"] == 30 and current == endpoint
    far_community = data["far_grid"][:12]
    for url in (f"/api/v1/dashboard?level=township&code={OTHER_TOWNSHIP}",
                f"/api/v1/dashboard?level=community&code={far_community}",
                f"/api/v1/dashboard?level=grid&code={data['far_grid']}",
                f"/api/v1/dashboard?level=district&code={DISTRICT}",
                f"/api/v1/dashboard/areas?level=township&code={OTHER_TOWNSHIP}"):
        assert client.get(url, headers=headers).status_code == 403, url
    assert client.get("/api/v1/dashboard?level=township&code=999999999", headers=headers).status_code == 404
    assert client.get("/api/v1/dashboard?from=2026-13-01", headers=headers).status_code == 400
    assert client.get("/api/v1/dashboard/areas?by=district", headers=headers).status_code == 400
    # a secretary gets their community; a grid worker no dashboard
    assert _get(client, "/api/v1/dashboard", bearer("hongqi"))["code"] == COMMUNITY
    assert client.get("/api/v1/dashboard", headers=bearer("worker")).status_code == 403


def test_previous_period_has_equal_length():
    assert dashboard.periods("2026-03-01", "2026-03-31") == {
        "from": "2026-03-01", "to": "2026-03-31", "days": 31, "previous_from": "2026-01-29",
        "previous_to": "2026-02-28"}
    assert dashboard.periods(None, None, today=date(2026, 3, 30))["from"] == "2026-03-01"


def test_excel_and_csv_reports_are_safe_and_exact(client, login, tx, data):
    hostile = "=HYPERLINK(\"http://evil.example\",\"点我\")"
    tx.get(AdminArea, OTHER_COMMUNITY).name = hostile
    tx.commit()
    login("hongqijie")
    resp = client.get(f"/dashboard/report.xlsx?from={PERIOD['from']}&to={PERIOD['to']}")
    assert resp.status_code == 200 and "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.lstrip().startswith(("=", "+", "@"))]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == "红旗街街道 辖区统计报表"
    assert rows[2][:8] == ["层级", "区划代码", "名称", "网格数", "有网格员的网格", "已覆盖网格", "覆盖缺口（网格）",
                           "网格员"]
    by_code = {r[1]: r for r in rows[3:]}
    assert by_code[TOWNSHIP][:3] == ["街道/镇", TOWNSHIP, "红旗街街道"]
    assert by_code[OTHER_COMMUNITY][2] == "'" + hostile
    assert ws.cell(row=4, column=2).data_type == "s"               # codes are text
    reported = rows[2].index("上报事件")
    assert by_code[TOWNSHIP][reported] == 4 and isinstance(by_code[COMMUNITY][reported], int)
    assert set(by_code) == {TOWNSHIP} | {c for c in by_code if c.startswith(TOWNSHIP) and len(c) == 12}
    resp = client.get(f"/dashboard/report.csv?from={PERIOD['from']}&to={PERIOD['to']}&excel=1")
    assert resp.data.startswith(b"\xef\xbb\xbf")  # the variant for Excel; machines get no byte-order mark
    assert not client.get(f"/dashboard/report.csv?from={PERIOD['from']}&to={PERIOD['to']}").data.startswith(b"\xef")
    table = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert table[0][:3] == ["层级", "区划代码", "名称"]
    assert any(r[2] == "'" + hostile for r in table[1:])
    for fmt in ("xlsx", "csv"):  # another township's report is refused
        assert client.get(f"/dashboard/report.{fmt}?level=township&code={OTHER_TOWNSHIP}").status_code == 403
    printed = client.get(f"/dashboard/print?from={PERIOD['from']}&to={PERIOD['to']}")
    assert printed.status_code == 200 and "红旗街街道 辖区统计报表" in printed.text
    assert hostile not in printed.text and "=HYPERLINK(&#34;http://evil.example&#34;" in printed.text


def test_field_roles_are_refused_by_their_own_role_name(client, bearer):
    # a handler (承办人) was told "网格员无权…": each refusal of a field role names the role it has
    for username, role, other in (("chuzhi", "承办人", "网格员"), ("worker", "网格员", "承办人")):
        headers = bearer(username)
        for url in ("/api/v1/dashboard", f"/api/v1/coverage-check?code={COMMUNITY}",
                    f"/api/v1/party-groups?community_code={COMMUNITY}"):
            resp = client.get(url, headers=headers)
            message = resp.get_json()["error"]["message"]
            assert resp.status_code == 403 and role in message and other not in message, (url, message)


def test_count_labels_are_nouns_in_english(client, login):
    """上报事件, 立案 and 登记 are both actions (Report an incident, File, Register: menus, buttons,
    history) and counted figures (Reported, Filed, Registered): the figures' labels carry the
    message context "figure", so English pages and reports name counts, not verbs."""
    login("district")
    client.get("/lang/en")
    page = client.get("/dashboard/print").text
    report = client.get("/dashboard/report.csv").get_data(as_text=True).splitlines()[0].split(",")
    registers = client.get("/disputes").text
    assert "<th>Registered</th>" in registers and "<th>Register</th>" not in registers
    assert {"Reported", "Filed"} <= set(report) and not {"Report an incident", "File"} & set(report)
    assert ">Reported<" in page and ">Filed<" in page and ">File<" not in page
    assert ">Report an incident</a>" in client.get("/").text  # the action keeps its verb
    client.get("/lang/zh")
    assert "上报事件" in client.get("/dashboard/report.csv").get_data(as_text=True).splitlines()[0]
    assert "<th>登记</th>" in client.get("/disputes").text
