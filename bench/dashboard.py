"""Dashboard benchmark (issue 7): load N synthetic incidents and M synthetic disputes into the demo
district, then time the district dashboard's server work against plain SQL of the same figures,
in the same run, on the same data.

    .venv/bin/python bench/dashboard.py [--incidents 100000] [--disputes 5000] [--repeat 5]
                                        [--database-url URL] [--no-load] [--write]
                                        [--district 610202] [--user district]

Importable: :func:`run` (``run(database_url=None, incidents=100_000, disputes=5_000, load=True,
repeat=5, district="610202", username="district")`` → dict) so that a larger benchmark (the city of
issue 9) can call it on its own database.

1. Database: ``database_url`` (an existing gridapp database, migrated, with the demo district), or
   else a private throwaway cluster (``gridapp.provision``, as tests/conftest.py) migrated and
   loaded with the demo district.
2. Load (``load=True``): set-based SQL (``INSERT … SELECT generate_series``) in one transaction:
   incidents spread over the 365 days before now at the point-on-surface of the district's grids,
   across leaf categories, in every state of the loop with filed/deadline/handled/closed times and
   a 处置反馈 (and for one in ten a failed verification) in their history; disputes over the same
   year in every state. Every row is clearly synthetic: description/summary ``压测数据（虚构）``.
   Then ``ANALYZE``.
3. Measure, for the last 30 days and for the whole year (``repeat`` runs each, median):
   * **dashboard** — :func:`gridapp.analytics.dashboard.summary` for the district user at district
     level, serialised to JSON (the server work of ``GET /api/v1/dashboard``, without HTTP);
   * **map layer** — :func:`gridapp.analytics.dashboard.areas_layer` by grid (every grid);
   * **plain SQL** — hand-written SQL statements through psycopg (no ORM, no Python per row)
     computing the same figures: incident KPIs and dispute figures of the period and the previous
     one, per township, per calendar unit, per category and per community; coverage per community;
     inspection figures of both periods. The incident KPIs in the best plain form we know: each
     case's history looked up once (a sub-select fenced by ``OFFSET 0``) and the period's total and
     four breakdowns in one ``GROUPING SETS`` statement (the form the product used before issue 23,
     now tests/integration/kpi_reference.py); the median of the period's total only, as the
     product gives it (its breakdowns carry no median).
   Reports the ratio dashboard / plain SQL (targets on the 1,000,000-incident city of issue 23:
   ≤ 0.1 for a year, ≤ 0.25 for 30 days) and the period's incident count (both sides must count
   the same cases, else the run fails).

``--write`` replaces the "Dashboard" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridapp import provision  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmarks_md import replace_section  # noqa: E402

DISTRICT = "610202"
MARK = "压测数据（虚构）"

LOAD_INCIDENTS = """
WITH g AS (SELECT code, community_code, district_code, ST_PointOnSurface(geom) AS p,
                  (row_number() OVER (ORDER BY code) - 1)::int AS i FROM grids WHERE district_code = %(d)s),
c AS (SELECT code, (row_number() OVER (ORDER BY code) - 1)::int AS i FROM incident_categories k
      WHERE NOT EXISTS (SELECT 1 FROM incident_categories s WHERE s.parent_code = k.code)),
st(k, status, filed, handled, closed) AS (VALUES
  (0, 'reported', false, false, false), (1, 'accepted', false, false, false), (2, 'rejected', false, false, false),
  (3, 'filed', true, false, false), (4, 'dispatched', true, false, false), (5, 'in_progress', true, false, false),
  (6, 'handled', true, true, false), (7, 'closed', true, true, true), (8, 'closed', true, true, true),
  (9, 'evaluated', true, true, true)),
s AS (SELECT x, now() - random() * interval '365 days' AS at, floor(random() * 1e9)::bigint AS r,
             2 + random() * 140 AS h FROM generate_series(1, %(n)s) x)
INSERT INTO incidents (category_code, description, geom, grid_code, community_code, district_code, reporter_id,
                       status, reported_at, version, filed_at, deadline_at, handled_at, closed_at)
SELECT c.code, %(mark)s || ' #' || s.x, g.p, g.code, g.community_code, g.district_code, %(reporter)s, st.status,
       s.at, 1,
       CASE WHEN st.filed THEN s.at + interval '1 hour' END,
       CASE WHEN st.filed THEN s.at + interval '73 hours' END,
       CASE WHEN st.handled THEN s.at + s.h * interval '1 hour' END,
       CASE WHEN st.closed THEN s.at + (s.h + 3) * interval '1 hour' END
FROM s JOIN g ON g.i = s.r %% (SELECT count(*) FROM g)
       JOIN c ON c.i = (s.r / 7) %% (SELECT count(*) FROM c)
       JOIN st ON st.k = (s.r / 1000) %% 10
"""

LOAD_EVENTS = """
INSERT INTO incident_events (incident_id, actor_id, at, action, from_state, to_state, data, attachments)
SELECT id, reporter_id, handled_at, 'handle', 'in_progress', 'handled', '{}'::json, '[]'::json FROM incidents
WHERE handled_at IS NOT NULL AND description LIKE %(like)s
UNION ALL
SELECT id, reporter_id, handled_at - interval '1 hour', 'verify', 'handled', 'dispatched', '{}'::json, '[]'::json
FROM incidents
WHERE handled_at IS NOT NULL AND description LIKE %(like)s AND id %% 10 = 0
"""

LOAD_DISPUTES = """
WITH g AS (SELECT code, community_code, district_code, ST_PointOnSurface(geom) AS p,
                  (row_number() OVER (ORDER BY code) - 1)::int AS i FROM grids WHERE district_code = %(d)s),
t AS (SELECT code, (row_number() OVER (ORDER BY code) - 1)::int AS i FROM dispute_types),
st(k, status, channel) AS (VALUES (0, 'registered', NULL), (1, 'mediating', NULL), (2, 'resolved', NULL),
  (3, 'resolved', NULL), (4, 'failed', NULL), (5, 'referred', 'court')),
s AS (SELECT x, now() - random() * interval '365 days' AS at, floor(random() * 1e9)::bigint AS r,
             1 + random() * 40 AS days FROM generate_series(1, %(n)s) x)
INSERT INTO disputes (type_code, summary, geom, grid_code, community_code, district_code, source, risk_level,
                      escalation_risk, difficulty, status, registered_by, registered_at, deadline_at, closed_at,
                      channel, version)
SELECT t.code, %(mark)s || ' #' || s.x, g.p, g.code, g.community_code, g.district_code, 'screening', 'general',
       false, 'simple', st.status, %(reporter)s, s.at, s.at + interval '30 days',
       CASE WHEN st.k >= 2 THEN s.at + s.days * interval '1 day' END, st.channel, 1
FROM s JOIN g ON g.i = s.r %% (SELECT count(*) FROM g)
       JOIN t ON t.i = (s.r / 7) %% (SELECT count(*) FROM t)
       JOIN st ON st.k = (s.r / 1000) %% 6
"""

# --- plain SQL of the dashboard's figures ------------------------------------------------------

# the KPIs: the cohort's cases with their three history facts looked up once per case (OFFSET 0
# keeps the sub-select from being pulled up into the aggregates), then aggregated
_KPI_WHERE = "i.district_code = %(d)s AND i.status <> 'merged' AND i.reported_at >= %(s)s AND i.reported_at < %(e)s"
_KPI_CASES = f"""SELECT i.status, i.reported_at, i.filed_at, i.deadline_at, i.handled_at, i.closed_at,
    i.community_code, i.category_code,
    to_char(date_trunc(%(unit)s, timezone('Asia/Shanghai', i.reported_at)), 'YYYY-MM-DD') AS unit_key,
    EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'handle') AS handled_ever,
    EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'verify'
            AND e.to_state = 'dispatched') AS reworked,
    EXISTS (SELECT 1 FROM incident_approvals a WHERE a.incident_id = i.id AND a.action = 'extend'
            AND a.decision = 'approved') AS extended
  FROM incidents i WHERE {_KPI_WHERE} OFFSET 0"""
_KPI_COLS = """count(*), count(*) FILTER (WHERE c.filed_at IS NOT NULL),
  count(*) FILTER (WHERE c.filed_at IS NOT NULL AND (c.handled_at IS NOT NULL OR
    (c.status IN ('filed','dispatched','in_progress','deferred') AND c.deadline_at < %(now)s))),
  count(*) FILTER (WHERE c.handled_at <= c.deadline_at), count(*) FILTER (WHERE c.closed_at IS NOT NULL),
  count(*) FILTER (WHERE c.closed_at <= c.deadline_at), count(*) FILTER (WHERE c.handled_ever),
  count(*) FILTER (WHERE c.handled_ever AND c.reworked), count(*) FILTER (WHERE c.filed_at IS NOT NULL AND c.extended),
  count(*) FILTER (WHERE c.filed_at IS NOT NULL AND c.status IN ('filed','dispatched','in_progress','deferred')
    AND c.deadline_at < %(now)s),
  avg(extract(epoch FROM c.closed_at - c.reported_at) / 3600) FILTER (WHERE c.closed_at IS NOT NULL)"""
_KPI_MEDIAN = """percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.closed_at - c.reported_at) / 3600)
    FILTER (WHERE c.closed_at IS NOT NULL)"""
_DIS_COLS = """count(*), count(*) FILTER (WHERE status IN ('resolved','failed','referred')),
  count(*) FILTER (WHERE status = 'resolved'), count(*) FILTER (WHERE status IN ('registered','mediating')),
  count(*) FILTER (WHERE status IN ('registered','mediating') AND deadline_at < %(now)s)"""
_DIS_WHERE = "x.district_code = %(d)s AND x.registered_at >= %(s)s AND x.registered_at < %(e)s"
_TZ = "timezone('Asia/Shanghai', {col})"

PLAIN_KPI = f"SELECT {_KPI_COLS}, {_KPI_MEDIAN} FROM ({_KPI_CASES}) c"  # the previous period's KPIs
# the period's median (the total's: the breakdowns have none)
PLAIN_MEDIAN = f"SELECT {_KPI_MEDIAN.replace('c.', 'i.')} FROM incidents i WHERE {_KPI_WHERE}"
# the period's KPIs and their breakdowns per township, community, category and calendar unit
PLAIN_KPI_CURRENT = f"""SELECT GROUPING(t.code), GROUPING(c.community_code), GROUPING(k.code), GROUPING(c.unit_key),
    t.code, t.name, c.community_code, a.name, k.code, k.name, c.unit_key, {_KPI_COLS}
  FROM ({_KPI_CASES}) c JOIN admin_areas a ON a.code = c.community_code JOIN admin_areas t ON t.code = a.parent_code
  JOIN incident_categories k ON k.code = c.category_code
  GROUP BY GROUPING SETS ((), (t.code, t.name), (c.community_code, a.name), (k.code, k.name), (c.unit_key))"""
PLAIN_PERIOD = [  # run for the period and for the previous one
    f"""SELECT {_DIS_COLS},
        count(*) FILTER (WHERE status = 'resolved' AND closed_at - registered_at <= interval '30 days'),
        count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'referred' AND channel = 'court'),
        count(*) FILTER (WHERE status = 'referred' AND channel = 'police'),
        count(*) FILTER (WHERE status = 'referred' AND channel = 'petition') FROM disputes x WHERE {_DIS_WHERE}""",
    f"SELECT count(v.id), avg(v.satisfaction) FROM dispute_visits v JOIN disputes x ON x.id = v.dispute_id "
    f"WHERE {_DIS_WHERE}",
    f"SELECT x.type_code, t.name, {_DIS_COLS} FROM disputes x JOIN dispute_types t ON t.code = x.type_code "
    f"WHERE {_DIS_WHERE} GROUP BY 1, 2",
    f"SELECT x.community_code, a.name, {_DIS_COLS} FROM disputes x JOIN admin_areas a ON a.code = x.community_code "
    f"WHERE {_DIS_WHERE} GROUP BY 1, 2",
    """SELECT count(*), coalesce(sum(jsonb_array_length(n.members)), 0), coalesce(sum(n.vehicle_trips), 0)
       FROM inspections n WHERE n.inspected_at >= %(s)s AND n.inspected_at < %(e)s AND n.id IN (
         SELECT ip.inspection_id FROM inspection_places ip JOIN places p ON p.id = ip.place_id
         WHERE p.district_code = %(d)s)""",
    """SELECT count(*), count(*) FILTER (WHERE r.status = 'passed' AND r.reinspected_at <= r.deadline_at)
       FROM rectification_notices r JOIN places p ON p.id = r.place_id
       WHERE p.district_code = %(d)s AND r.issued_at >= %(s)s AND r.issued_at < %(e)s""",
]
PLAIN_CURRENT = [  # the breakdowns, for the period only
    f"""SELECT t.code, t.name, {_DIS_COLS} FROM disputes x JOIN admin_areas c ON c.code = x.community_code
        JOIN admin_areas t ON t.code = c.parent_code WHERE {_DIS_WHERE} GROUP BY 1, 2""",
    f"SELECT to_char(date_trunc(%(unit)s, {_TZ.format(col='x.registered_at')}), 'YYYY-MM-DD'), {_DIS_COLS} "
    f"FROM disputes x WHERE {_DIS_WHERE} GROUP BY 1",
    """SELECT g.community_code, count(*), count(*) FILTER (WHERE w.n > 0), count(gg.group_id),
              count(*) FILTER (WHERE w.n > 0 AND gg.group_id IS NOT NULL), coalesce(sum(m.n), 0)
       FROM grids g
       LEFT JOIN LATERAL (SELECT count(*) AS n FROM worker_grids x WHERE x.grid_code = g.code) w ON true
       LEFT JOIN LATERAL (SELECT count(*) AS n FROM party_members x WHERE x.grid_code = g.code) m ON true
       LEFT JOIN (group_grids gg JOIN grid_party_groups pg ON pg.id = gg.group_id AND pg.dissolved_at IS NULL)
              ON gg.grid_code = g.code
       WHERE g.district_code = %(d)s GROUP BY 1""",
    """SELECT community_code, count(*), count(*) FILTER (WHERE build_type = 'single'),
              count(*) FILTER (WHERE build_type = 'joint') FROM grid_party_groups
       WHERE dissolved_at IS NULL AND community_code LIKE %(d)s || '%%' GROUP BY 1""",
    "SELECT community_code, count(*) FROM party_members WHERE community_code LIKE %(d)s || '%%' GROUP BY 1",
    "SELECT community_code, count(*) FROM grid_workers WHERE community_code LIKE %(d)s || '%%' GROUP BY 1",
]


def _local_range(days: int, today) -> tuple[str, str, str, str]:
    start = today - timedelta(days=days - 1)
    prev_end = start - timedelta(days=1)
    return (start.isoformat(), today.isoformat(), (prev_end - timedelta(days=days - 1)).isoformat(),
            prev_end.isoformat())


def _utc_bounds(date_from: str, date_to: str):
    from zoneinfo import ZoneInfo
    tz = ZoneInfo("Asia/Shanghai")
    start = datetime.fromisoformat(date_from).replace(tzinfo=tz)
    end = datetime.fromisoformat(date_to).replace(tzinfo=tz) + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


def _plain(conn, days: int, today, district: str = DISTRICT) -> int:
    """Run the plain SQL of the dashboard's figures; returns the period's incident count."""
    cur_from, cur_to, prev_from, prev_to = _local_range(days, today)
    now = datetime.now(UTC)
    unit = "day" if days <= 62 else "week" if days <= 366 else "month"
    for a, b in ((cur_from, cur_to), (prev_from, prev_to)):
        s, e = _utc_bounds(a, b)
        args = {"d": district, "s": s, "e": e, "now": now, "unit": unit}
        for sql in PLAIN_PERIOD:
            conn.execute(sql, args).fetchall()
        if a == prev_from:
            conn.execute(PLAIN_KPI, args).fetchall()
    s, e = _utc_bounds(cur_from, cur_to)
    args = {"d": district, "s": s, "e": e, "now": now, "unit": unit}
    total = next(r for r in conn.execute(PLAIN_KPI_CURRENT, args).fetchall() if r[:4] == (1, 1, 1, 1))
    conn.execute(PLAIN_MEDIAN, args).fetchall()
    for sql in PLAIN_CURRENT:
        conn.execute(sql, args).fetchall()
    return total[11]


def _median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _load(plain_url: str, incidents: int, disputes: int, district: str, username: str) -> dict:
    with psycopg.connect(plain_url) as conn:
        reporter = conn.execute("SELECT id FROM users WHERE username = %s", (username,)).fetchone()[0]
        conn.execute("SELECT setseed(0.20261129)")
        t = time.perf_counter()
        args = {"d": district, "mark": MARK, "reporter": reporter}
        conn.execute(LOAD_INCIDENTS, {**args, "n": incidents})
        conn.execute(LOAD_EVENTS, {"like": MARK + "%"})
        conn.execute(LOAD_DISPUTES, {**args, "n": disputes})
        conn.commit()
        conn.execute("ANALYZE")
        return {"load_s": round(time.perf_counter() - t, 1)}


def run(database_url: str | None = None, incidents: int = 100_000, disputes: int = 5_000, load: bool = True,
        repeat: int = 5, district: str = DISTRICT, username: str = "district") -> dict:
    """Load (optional) and measure; returns {incidents_in_district, disputes_in_district, load_s,
    periods: {"30 days" | "365 days": {dashboard_ms, plain_sql_ms, ratio, map_layer_grids_ms}}}
    (medians of ``repeat`` runs, milliseconds). ``database_url``: an existing migrated gridapp
    database with the demo district; None: a private throwaway cluster with the demo loaded.
    ``district``: the district measured (and loaded); ``username``: the user whose dashboard is
    timed (a district user of it, or an admin) and who reports the synthetic rows."""
    base = None
    if database_url is None:
        base = Path(tempfile.mkdtemp(prefix="gd-", dir="/tmp"))
        database_url = provision.start(base, throwaway=True)
    try:
        from gridapp import create_app
        from gridapp.extensions import db

        app = create_app({"GRIDAPP_CONFIG": "development", "SQLALCHEMY_DATABASE_URI": database_url})
        with app.app_context():
            if base is not None:
                from flask_migrate import upgrade

                from gridapp.demo import load_demo

                upgrade()
                load_demo("bench-" + str(time.time_ns()), log=lambda m: None)
        plain_url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        # the plain SQL runs with the app's session settings (time zone, jit) for a fair comparison,
        # but with the server's parallel workers (the app turns them off: config.DB_PARALLEL_WORKERS),
        # which the plain SQL's scans of every case of the period use
        session_options = " -c ".join(o for o in app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
                                   .split(" -c ") if not o.startswith("max_parallel_workers_per_gather"))
        result: dict = {"incidents_loaded": incidents if load else 0, "disputes_loaded": disputes if load else 0}
        if load:
            result.update(_load(plain_url, incidents, disputes, district, username))
        from sqlalchemy import select

        from gridapp.analytics import dashboard
        from gridapp.core.clock import local_zone
        from gridapp.models import User

        today = datetime.now(local_zone()).date()
        with psycopg.connect(plain_url, options=session_options) as conn:
            result["incidents_in_district"] = conn.execute(
                "SELECT count(*) FROM incidents WHERE district_code = %s", (district,)).fetchone()[0]
            result["disputes_in_district"] = conn.execute(
                "SELECT count(*) FROM disputes WHERE district_code = %s", (district,)).fetchone()[0]
            result["periods"] = {}
            with app.test_request_context():
                user = db.session.scalar(select(User).where(User.username == username))
                for days in (30, 365):
                    cur_from, cur_to, *_ = _local_range(days, today)

                    def dash(cur_from=cur_from, cur_to=cur_to):
                        got = dashboard.summary(user, "district", district, cur_from, cur_to)
                        json.dumps(got, default=str)
                        db.session.rollback()
                        return got["kpi"]["current"]["counts"]["reported"]

                    def layer(cur_from=cur_from, cur_to=cur_to):
                        json.dumps(dashboard.areas_layer(user, "district", district, "grid", cur_from, cur_to))
                        db.session.rollback()

                    reported = dash()  # warm caches (both sides get a warm run)
                    if _plain(conn, days, today, district) != reported:  # both sides count the same cases
                        raise AssertionError(f"{days} days: the plain SQL and the dashboard disagree")
                    d_s = _median_s(dash, repeat)
                    p_s = _median_s(lambda days=days: _plain(conn, days, today, district), repeat)
                    l_s = _median_s(layer, max(1, repeat // 2))
                    result["periods"][f"{days} days"] = {
                        "incidents_in_period": reported, "dashboard_ms": round(d_s * 1000, 1),
                        "plain_sql_ms": round(p_s * 1000, 1), "ratio": round(d_s / p_s, 2),
                        "map_layer_grids_ms": round(l_s * 1000, 1)}
                db.session.remove()
            conn.rollback()
        with app.app_context():
            db.engine.dispose()
        return result
    finally:
        if base is not None:
            provision.stop(base)
            shutil.rmtree(base, ignore_errors=True)


def _write(result: dict, args) -> None:
    head = "## Dashboard (bench/dashboard.py)"
    rows = "".join(f"| {p} | {v['dashboard_ms']} | {v['plain_sql_ms']} | {v['ratio']} | {v['map_layer_grids_ms']} |\n"
                   for p, v in result["periods"].items())
    section = (f"{head}\n\nLast run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: `bench/dashboard.py --incidents "
               f"{args.incidents} --disputes {args.disputes} --repeat {args.repeat}` on a private throwaway cluster "
               f"with the demo district; {result['incidents_in_district']} incidents and "
               f"{result['disputes_in_district']} disputes in the district (synthetic, spread over the last 365 days; "
               f"loaded by set-based SQL in {result.get('load_s', '—')} s). Medians of {args.repeat} warm runs, ms. "
               f"*dashboard* = the server work of `GET /api/v1/dashboard` for the district user (services + JSON); "
               f"*plain SQL* = hand-written SQL of the same figures through psycopg; *map layer* = "
               f"`GET /api/v1/dashboard/areas?by=grid` (every grid with geometry).\n\n"
               f"| period | dashboard | plain SQL | ratio | map layer (grids) |\n|---|---|---|---|---|\n{rows}"
               f"\nMachine: 2 CPUs shared with other work; times are indicative only.\n")
    replace_section(head, section)


def main() -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--disputes", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="an existing migrated gridapp database with the demo")
    parser.add_argument("--no-load", action="store_true", help="measure only (the data is already there)")
    parser.add_argument("--district", default=DISTRICT, help="district code measured (default: the demo's)")
    parser.add_argument("--user", default="district", help="username whose dashboard is timed")
    parser.add_argument("--write", action="store_true", help="write the result into BENCHMARKS.md")
    args = parser.parse_args()
    result = run(args.database_url, args.incidents, args.disputes, not args.no_load, args.repeat, args.district,
                 args.user)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        _write(result, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
