"""The facts kept on write (gridapp.analytics.facts) give every KPI figure of the definitions
computed from the raw cases (kpi_reference) — for random periods (within a month, across whole
months, open-ended), areas, breakdowns and query times (hypothesis, derandomized) over cases driven
through the real actions: on time, late, reworked, extended, rejected, merged, open past the
deadline, reported before and closed after midnight Asia/Shanghai. Medians exactly (the total's;
groups carry none). The facts kept by the triggers equal the facts rebuilt from scratch, and
compacting the roll-ups changes no sum."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import kpi_reference
from caseutil import COMMUNITY, DISTRICT, GRID, OTHER_COMMUNITY, OTHER_GRID, TOWNSHIP, make_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from gridapp.analytics import facts
from gridapp.core.clock import local_zone
from gridapp.extensions import db
from gridapp.incidents import workflow
from gridapp.models import CategoryRule, DepartmentMember, GridAssignment, KpiCaseFact, KpiRollup, User
from gridapp.models.facts import FACT_COUNTS

H = timedelta(hours=1)
BASE = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 23:30 on 1 March in Shanghai
OTHER_COMMUNITY_GRID = OTHER_COMMUNITY + "001"
FIGURES = ("counts", "rates", "overdue")
ZONE = local_zone()


def _user(tx, name, role, scope=None, grids=()):
    user = User(username=f"f-{name}", display_name=name, role=role, scope_code=scope, password_hash="!")
    user.assignments = [GridAssignment(grid_code=g) for g in grids]
    tx.add(user)
    return user


def _handled(at, handled):
    return [("sec", "accept", {}, at), ("sec", "file", {}, at + 0.5),
            ("sec", "dispatch", {"handler": "f-handler"}, at + 0.7),
            ("handler", "start", {}, at + 1), ("handler", "handle", {"note": "完成"}, handled)]


SCENARIOS = {
    "on_time": lambda: _handled(0.2, 2) + [("worker", "verify", {"passed": True}, 3)],
    "late": lambda: _handled(0.2, 9) + [("worker", "verify", {"passed": True}, 30)],
    "rework": lambda: _handled(0.2, 1.5) + [("worker", "verify", {"passed": False, "note": "不合格"}, 2),
                                            ("handler", "start", {}, 2.5), ("handler", "handle", {"note": "返工"}, 6),
                                            ("worker", "verify", {"passed": True}, 7)],
    "extended": lambda: [("sec", "accept", {}, 0.2), ("sec", "file", {}, 0.5),
                         ("sec", "dispatch", {"handler": "f-handler"}, 0.7),
                         ("handler", "extend", {"hours": 24, "note": "等配件"}, 1),
                         ("sec", "approve", {"approved": True}, 1.2),
                         ("handler", "start", {}, 2), ("handler", "handle", {"note": "完成"}, 20)],
    "rejected": lambda: [("sec", "reject", {"note": "不属实"}, 0.5)],
    "open": lambda: [("sec", "accept", {}, 0.2), ("sec", "file", {}, 0.5),
                     ("sec", "dispatch", {"handler": "f-handler"}, 0.7)],
    "reported": lambda: [],
}


def _drive(tx, people):
    rng = random.Random(25)
    cases = []
    for i in range(36):
        grid = (GRID, OTHER_GRID, OTHER_COMMUNITY_GRID)[i % 3]
        reporter = people["worker"] if grid == GRID else people["other"]
        # early March, and some in January and February (whole months of the roll-ups)
        start = BASE + timedelta(hours=rng.choice((0, 1, 7, 20, 26, 49, 75, -24 * 20 - 5, -24 * 40 + 3)))
        cases.append((make_case(reporter, grid=grid, category=rng.choice(("0102", "0201")), reported_at=start),
                      rng.choice(list(SCENARIOS)), start))
    tx.commit()
    for incident, scenario, start in cases:
        if incident.grid_code == OTHER_COMMUNITY_GRID and scenario != "reported":
            scenario = "rejected" if scenario in ("rework", "extended") else scenario
        for who, action, params, hours in SCENARIOS[scenario]():
            if who == "sec" and incident.grid_code == OTHER_COMMUNITY_GRID:
                who = "other_sec"
            elif who == "worker" and incident.grid_code != GRID:
                who = "other"
            actor = people[who]
            workflow.perform(actor, incident.id, action, params, now=start + hours * H)
    # two duplicates merged into a case of the same grid: they leave every figure
    target = next(c for c, s, _t in cases if c.grid_code == GRID and s in ("open", "extended"))
    for incident, _s, start in [c for c in cases if c[1] == "reported" and c[0].grid_code == GRID][:2]:
        workflow.perform(people["sec"], incident.id, "merge", {"into": target.id}, now=start + 2 * H)
    return cases


def _rollups() -> list[tuple]:
    """The roll-ups' sums per key (a key may have several rows until compacted), zero keys left out."""
    key = (KpiRollup.span, KpiRollup.start, KpiRollup.level, KpiRollup.area_code, KpiRollup.category_code)
    sums = [func.sum(getattr(KpiRollup, c)) for c in (*FACT_COUNTS, "close_seconds")]
    return sorted(tuple(r) for r in db.session.execute(select(*key, *sums).group_by(*key)) if any(r[5:]))


def _case_facts() -> list[tuple]:
    return sorted(tuple(r) for r in db.session.execute(select(*KpiCaseFact.__table__.columns)))


def _same(fact: dict, raw: dict, where: str):
    assert {f: fact[f] for f in FIGURES} == {f: raw[f] for f in FIGURES}, where
    assert fact["time_to_close_hours"]["mean"] == raw["time_to_close_hours"]["mean"], where
    if "median" in fact["time_to_close_hours"]:  # the total's (groups carry none)
        assert fact["time_to_close_hours"]["median"] == raw["time_to_close_hours"]["median"], where


def test_facts_equal_the_definitions(tx):
    tx.add(CategoryRule(category_code="0102", level="简易", deadline_hours=4, department_code="DEMO-SZ"))
    people = {"sec": _user(tx, "sec", "secretary", COMMUNITY), "worker": _user(tx, "worker", "worker", grids=[GRID]),
              "handler": _user(tx, "handler", "worker"), "district": _user(tx, "district", "district", DISTRICT),
              "other": _user(tx, "other", "worker", grids=[OTHER_GRID, OTHER_COMMUNITY_GRID]),
              "other_sec": _user(tx, "other_sec", "secretary", OTHER_COMMUNITY)}
    tx.flush()
    tx.add(DepartmentMember(department_code="DEMO-SZ", user_id=people["handler"].id))
    tx.commit()
    cases = _drive(tx, people)
    assert {s for _c, s, _t in cases} >= set(SCENARIOS)
    for incident, _s, _t in cases:
        tx.refresh(incident)
    assert sum(c.status == "merged" for c, _s, _t in cases) == 2
    # reported before local midnight, closed on a later local day
    assert any(c.closed_at and c.reported_at.astimezone(ZONE).date() < c.closed_at.astimezone(ZONE).date()
               for c, _s, _t in cases)
    kept, case_facts = _rollups(), _case_facts()
    rows = db.session.scalar(select(func.count()).select_from(KpiRollup))
    assert kept and rows > len(kept)  # deltas: several rows per key
    facts.compact()
    assert _rollups() == kept and db.session.scalar(select(func.count()).select_from(KpiRollup)) == len(kept)
    assert facts.rebuild()[0] >= len(cases) - 2
    analysed = tx.execute(text("SELECT count(*) FROM pg_stat_user_tables WHERE relname IN "
                               "('kpi_case_facts', 'kpi_rollups', 'kpi_close_hours') AND last_analyze IS NOT NULL"))
    assert analysed.scalar() == 3  # a rebuild leaves the planner fresh statistics
    assert _rollups() == kept and _case_facts() == case_facts  # the triggers' facts = the facts rebuilt
    district = people["district"]
    areas = [("grid", GRID), ("grid", OTHER_GRID), ("community", COMMUNITY), ("community", OTHER_COMMUNITY),
             ("township", TOWNSHIP), ("district", DISTRICT)]
    days = [None, "2026-01-01", "2026-01-20", "2026-01-31", "2026-02-01", "2026-02-10", "2026-02-28"] + [
        f"2026-03-{d:02d}" for d in range(1, 7)]

    @settings(derandomize=True, max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(area=st.sampled_from(areas), start=st.sampled_from(days), end=st.sampled_from(days),
           hours=st.integers(0, 24 * 8), by=st.sets(st.sampled_from(("township", "community", "grid", "category", "day",
                                                                      "week", "month")), max_size=3))
    def check(area, start, end, hours, by):
        if start and end and end < start:
            start, end = end, start
        now = BASE + hours * H
        units = sorted(by)
        fact_total, fact_by = facts.compute_by(district, *area, start, end, units, now)
        raw_total, raw_by = kpi_reference.compute_by(district, *area, start, end, units, now)
        where = (area, start, end, hours, units)
        _same(fact_total, raw_total, where)
        for unit in units:
            assert [g["code"] for g in fact_by[unit]] == [g["code"] for g in raw_by[unit]], (where, unit)
            for f, r in zip(fact_by[unit], raw_by[unit], strict=True):
                assert f["name"] == r["name"]
                _same(f, r, (where, unit, f["code"]))

    check()


def test_cli_rebuilds_and_compacts_without_changing_a_figure(app, tx):
    # inside the test's transaction (rolled back): the commands run on the same connection
    worker = tx.scalar(select(User).where(User.username == "worker"))
    make_case(worker, "closed", grid=GRID, category="0102", reported_at=BASE - 3 * H, handled_at=BASE,
              closed_at=BASE + H)
    tx.commit()
    admin = tx.scalar(select(User).where(User.username == "admin"))

    def figures():
        return facts.compute(admin, "district", DISTRICT, "2026-03-01", "2026-03-31", now=BASE)

    before = figures()
    assert before["counts"]["closed"] >= 1 and before["time_to_close_hours"]["median"] is not None
    runner = app.test_cli_runner()
    result = runner.invoke(args=["gridapp", "kpi-facts", "rebuild"])
    assert result.exit_code == 0 and "KPI facts rebuilt" in result.output, result.output
    result = runner.invoke(args=["gridapp", "kpi-facts", "compact"])
    assert result.exit_code == 0 and "KPI roll-ups compacted" in result.output, result.output
    assert figures() == before
    assert runner.invoke(args=["gridapp", "kpi-facts", "drop"]).exit_code == 2  # an unknown action


def test_a_community_moved_to_another_township_takes_its_cases_along(tx):
    from gridapp.models import AdminArea
    worker = tx.scalar(select(User).where(User.username == "worker"))
    make_case(worker, "closed", grid=GRID, category="0102", reported_at=BASE - 5 * H, handled_at=BASE,
              closed_at=BASE + 2 * H)
    district = tx.scalar(select(User).where(User.username == "district"))
    other = tx.scalar(select(AdminArea.code).where(AdminArea.level == "township", AdminArea.code != TOWNSHIP)
                      .order_by(AdminArea.code))
    period = ("2026-02-20", "2026-03-10")
    tx.get(AdminArea, COMMUNITY).parent_code = other  # never committed: the test's transaction is rolled back
    tx.flush()
    for township in (TOWNSHIP, other):
        fact = facts.compute_by(district, "township", township, *period, ("community",), BASE)
        raw = kpi_reference.compute_by(district, "township", township, *period, ("community",), BASE)
        _same(fact[0], raw[0], township)
        assert [g["code"] for g in fact[1]["community"]] == [g["code"] for g in raw[1]["community"]]
    assert COMMUNITY in {g["code"] for g in facts.groups(district, "township", other, *period, "community", BASE)}


def test_a_period_reads_whole_months_and_the_cheaper_side_of_each_partial_month():
    from datetime import date

    d = date
    # the default 30 days ending 6 December: November's row less its first six days, and six days of December
    assert facts._pieces(d(2026, 11, 7), d(2026, 12, 6)) == [
        ("m", d(2026, 11, 1), d(2026, 11, 1), 1), ("d", d(2026, 11, 1), d(2026, 11, 6), -1),
        ("d", d(2026, 12, 1), d(2026, 12, 6), 1)]
    # a year: eleven whole months, December 2025 less its first six days, six days of December 2026
    assert facts._pieces(d(2025, 12, 7), d(2026, 12, 6)) == [
        ("m", d(2026, 1, 1), d(2026, 11, 30), 1), ("m", d(2025, 12, 1), d(2025, 12, 1), 1),
        ("d", d(2025, 12, 1), d(2025, 12, 6), -1), ("d", d(2026, 12, 1), d(2026, 12, 6), 1)]
    assert facts._pieces(d(2026, 2, 1), d(2026, 2, 28)) == [("m", d(2026, 2, 1), d(2026, 2, 28), 1)]
    assert facts._pieces(d(2026, 2, 3), d(2026, 2, 5)) == [("d", d(2026, 2, 3), d(2026, 2, 5), 1)]
    assert facts._pieces(None, d(2026, 3, 4)) == [("m", None, d(2026, 2, 28), 1),
                                                  ("d", d(2026, 3, 1), d(2026, 3, 4), 1)]
    assert facts._pieces(d(2026, 3, 4), None)[0] == ("m", d(2026, 4, 1), None, 1)
