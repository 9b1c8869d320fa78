"""``make bench``: every city-scale benchmark in one unattended run, written to BENCHMARKS.md.

    .venv/bin/python bench/run.py [--dir /var/tmp/gridapp-bench] [--grids 10000] [--incidents 1000000]
                                  [--seconds 15] [--no-write] [--keep]

1. provisions its own private, durable PostgreSQL + PostGIS cluster (:mod:`gridapp.provision`) in
   ``--dir`` (never the development cluster of ``make run``), sets bulk-load friendly server
   settings (shared_buffers 1 GB, max_wal_size 8 GB; fsync stays on) and migrates it;
2. builds the synthetic city (bench/city.py: 10,000 grids, 1,000,000 incidents over a year);
3. runs bench/locate.py (bulk location vs plain UPDATE), bench/create.py (create-incident under
   gunicorn, product vs bare insert), and — when present — bench/map.py (``run(database_url)``,
   coverage map), bench/dashboard.py (``run(database_url, incidents=…, disputes=…, load=False)``; the
   dashboard reads the KPI roll-ups), bench/export.py (every case exported, streamed, peak memory) and
   bench/province.py (the Shaanxi hierarchy loaded as areas, the drill-down timed);
   a missing or failing hook is reported, not fatal;
4. replaces the section "## City scale (make bench)" of BENCHMARKS.md (other sections kept) with
   each figure, its baseline, the ratio and target, machine and date; stops and removes the cluster
   (``--keep`` keeps it running and prints its URL).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))  # the other benchmarks import their helpers by module name

import benchmarks_md  # noqa: E402

from gridapp import provision  # noqa: E402

HEAD = "## City scale (make bench)"
#: the dashboard's targets against the plain SQL of the same figures (issue 23)
DASHBOARD_TARGETS = {"365 days": 0.1, "30 days": 0.25}
BIN = Path(sys.executable).parent


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _psql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def provision_cluster(base: Path) -> str:
    """Start a private cluster under ``base`` with bulk-load settings; migrate; return its URL."""
    url = provision.start(base)
    for setting in ("shared_buffers = '1GB'", "max_wal_size = '8GB'", "checkpoint_timeout = '15min'",
                    "maintenance_work_mem = '512MB'", "max_connections = 200"):
        _psql(url, f"ALTER SYSTEM SET {setting}")
    provision.stop(base)
    url = provision.start(base)
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, check=True,
                   env=dict(os.environ, DATABASE_URL=url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return url


def _spread(side: dict) -> str:
    spread = side.get("connection_mean_ms")
    return " / ".join(str(spread[k]) for k in ("min", "median", "max")) if spread else "–"


def _cpu(side: dict) -> str:
    used = side.get("cpu_ms_per_request")
    return " / ".join(str(used.get(k, "–")) for k in ("gunicorn", "postgresql")) if used else "–"


def _hook(name: str, call) -> dict | None:
    """Run an optional benchmark module's hook; None when the module is absent."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name == name:
            return None
        raise
    t0 = time.perf_counter()
    try:
        result = call(module)
    except Exception:  # a broken hook must not lose the other figures
        return {"error": traceback.format_exc(limit=3)}
    return {"result": result, "seconds": round(time.perf_counter() - t0, 1)}


def machine() -> str:
    """One line: CPUs, memory, OS, Python, PostgreSQL/PostGIS."""
    mem = ""
    try:
        kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} CPUs{mem}, {platform.platform()}, Python {platform.python_version()}"


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(rows: list[tuple]) -> str:
    lines = ["| figure | product | baseline | ratio | target | met |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def section(results: dict, started: datetime, total_s: float, pg_version: str) -> str:
    """The BENCHMARKS.md section of a run."""
    city, loc, cre = results.get("city", {}), results.get("locate"), results.get("create")
    rows = []
    if loc:
        rows.append(("bulk location, points/s (1M imported incidents → community + grid)",
                     loc["product_points_per_s"], loc["baseline_points_per_s"], f"{loc['ratio']}×",
                     "≥ 400,000 points/s", "yes" if loc["product_points_per_s"] >= 400_000 else "no"))
    if cre:
        p, b = cre["product"], cre["bare"]
        met = "yes" if (cre["throughput_ratio"] or 0) >= 0.6 else "no"
        rows.append(("create incident, requests/s (50 clients)", p["requests_per_s"], b["requests_per_s"],
                      f"{cre['throughput_ratio']}×", "≥ 0.6× bare", met))
        rows.append(("create incident, p95 ms", p["p95_ms"], b["p95_ms"], f"{cre['p95_ratio']}×", "≤ 1.5× bare",
                     "yes" if (cre["p95_ratio"] or 99) <= 1.5 else "no"))
        rows.append(("create incident, p50 ms", p["p50_ms"], b["p50_ms"],
                     f"{round(p['p50_ms'] / b['p50_ms'], 2) if b['p50_ms'] else '–'}×", "–", "–"))
        same = cre.get("same_work")
        if same:
            rows.append(("create incident vs the same work by hand, requests/s", p["requests_per_s"],
                         same["requests_per_s"], f"{cre['same_work_throughput_ratio']}×", "–", "–"))
            rows.append(("create incident vs the same work by hand, p95 ms", p["p95_ms"], same["p95_ms"],
                         f"{cre['same_work_p95_ratio']}×", "–", "–"))
    mapped = (results.get("map") or {}).get("result")
    if mapped:
        p, b = mapped["product"], mapped["baseline"]
        rows.append(("coverage map of all grids, bytes on first view", p["bytes"], b["bytes"],
                     f"{mapped['ratio_bytes']}×", "≤ 0.1× folium", "yes" if mapped["ratio_bytes"] <= 0.1 else "no"))
        rows.append(("coverage map of all grids, ms until drawn", p["drawn_ms"], b["drawn_ms"],
                     f"{mapped['ratio_time']}×", "≤ 0.5× folium", "yes" if mapped["ratio_time"] <= 0.5 else "no"))
    dash = (results.get("dashboard") or {}).get("result")
    for period, fig in ((dash or {}).get("periods") or {}).items():
        limit = DASHBOARD_TARGETS.get(period, 1.5)
        rows.append((f"district dashboard ({period}), server ms (KPI roll-ups)", fig["dashboard_ms"],
                     fig["plain_sql_ms"], f"{fig['ratio']}×", f"≤ {limit}× plain SQL",
                     "yes" if fig["ratio"] <= limit else "no"))
    exported = (results.get("export") or {}).get("result")
    for fmt, fig in ((exported or {}).get("formats") or {}).items():
        what = "the last 30 days' cases" if fig.get("filters") else f"all {exported['rows']:,} cases"
        rows.append((f"export of {what} as {fmt}, peak MB during the export", fig["peak_rss_mb"],
                     f"{fig['rss_before_mb']} before", f"{fig['seconds']} s, {fig['mb']} MB", "< 200 MB",
                     "yes" if fig["peak_rss_mb"] < 200 else "no"))
    province = (results.get("province") or {}).get("result")
    for name, ms in ((province or {}).get("ms") or {}).items():
        rows.append((f"province hierarchy: {name} (365 days), ms", ms, "–", "–", "–", "–"))
    out = [HEAD, "",
           f"Last run {started:%Y-%m-%d %H:%M} UTC by `make bench` (bench/run.py), {total_s / 60:.1f} min in all. "
           f"Machine: {machine()}; {pg_version}. A private durable cluster (fsync on, shared_buffers 1 GB, "
           f"max_wal_size 8 GB). Load average at the start: {results.get('load_at_start', '?')} (other work on "
           "the machine moves the ratios: both sides of a figure run one after the other, not together).", "",
           f"City (bench/city.py, synthetic): {city.get('created', {}).get('grid', '?')} grids in "
           f"{city.get('created', {}).get('community', '?')} communities and "
           f"{city.get('created', {}).get('township', '?')} "
           f"townships over {city.get('size_km', 60):g} km × {city.get('size_km', 60):g} km; "
           f"{_fmt(city.get('incidents_created', 0))} incidents over a year with {_fmt(city.get('events', 0))} "
           f"history rows. Build: geometry {city.get('geometry_s')} s, boundary imports {city.get('boundaries_s')} s, "
           f"incident imports {city.get('incident_import_s')} s, states {city.get('states_s')} s.", "",
           _table(rows), ""]
    if loc:
        out += [f"Bulk location: product = `services.locate.locate_many` (what the incident import runs to locate "
                f"its points: from their coordinates to located rows ready to insert — loading the communities and "
                f"grids, the vectorised rule for community **and** grid, the codes) {loc['product_s']} s; baseline = "
                f"`UPDATE … FROM grids WHERE ST_Covers(...)` on the staged points (grid only) {loc['baseline_s']} s; "
                f"{_fmt(loc['points'])} points; {loc['disagreements']} disagreements on points one grid covers, "
                f"{loc.get('community_disagreements')} communities differing from the SQL rule. Product steps (s): "
                f"{loc.get('product_steps_s')}; the import's COPY of the located rows (not counted on either side, "
                f"as the baseline's staging) {loc.get('copy_s')} s.", ""]
    if cre:
        out += [f"Create incident: {cre['clients']} clients × {cre['seconds']:g} s each side, gunicorn "
                f"{cre['gunicorn']}; product errors {cre['product']['errors']}, bare errors {cre['bare']['errors']}; "
                f"{cre['product']['requests']} and {cre['bare']['requests']} requests. Each client keeps one "
                f"connection, which one of gunicorn's workers accepted: the clients' mean latencies (min / "
                f"median / max, ms) show how evenly — product {_spread(cre['product'])}, bare {_spread(cre['bare'])}. "
                f"CPU per request (ms; gunicorn / PostgreSQL): product {_cpu(cre['product'])}, "
                f"bare {_cpu(cre['bare'])}" + (
                    f", same work by hand {_cpu(cre['same_work'])} (clients' mean latencies "
                    f"{_spread(cre['same_work'])})" if cre.get("same_work") else "")
                + ". The same work by hand: bench/bare_app.py `SAME_WORK_SQL`, one statement doing the product's "
                "work (token, category, location, scope, insert, history row, possible duplicates), run last.",
                ""]
    for name in ("map", "dashboard", "export", "province"):
        hook = results.get(name)
        if hook is None:
            out += [f"{name}: bench/{name}.py not present in this branch.", ""]
        elif "error" in hook:
            out += [f"{name}: failed —", "", "```", hook["error"].strip(), "```", ""]
        else:
            out += [f"{name} ({hook['seconds']} s):", "", "```json",
                    json.dumps(hook["result"], ensure_ascii=False, indent=1, default=str), "```", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=os.environ.get("GRIDAPP_BENCH_DIR", "/var/tmp/gridapp-bench"))
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="create benchmark: seconds per side")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the cluster running afterwards")
    args = parser.parse_args(argv)
    started, t_start = datetime.now(UTC), time.perf_counter()
    base = Path(args.dir)
    if base.exists():
        provision.stop(base)
        shutil.rmtree(base)
    _log(f"provisioning a private cluster in {base}")
    url = provision_cluster(base)
    results: dict = {"load_at_start": round(os.getloadavg()[0], 2)}
    try:
        import city
        import create
        import locate

        _log("building the city")
        results["city"] = city.build(url, args.grids, args.incidents, log=_log)
        _log("bulk location")
        results["locate"] = locate.run(url, min(args.incidents, 1_000_000) or 1_000_000, log=_log)
        _log("create incident")
        results["create"] = create.run(url, seconds=args.seconds, log=_log)
        _log("map (if present)")
        results["map"] = _hook("map", lambda m: m.run(url))
        # what the worker's tick does every minute: merge the roll-up rows the create benchmark's cases wrote
        _log("KPI roll-ups compacted (the worker's tick)")
        _psql(url, "SELECT kpi_rollups_compact()")
        _log("dashboard (if present)")
        results["dashboard"] = _hook("dashboard", lambda m: m.run(
            url, incidents=0, disputes=0, load=False, district=city.DISTRICT, username=city.BENCH_ADMIN))
        _log("export of every case (streamed, peak memory)")
        results["export"] = _hook("export", lambda m: m.run(url, log=_log))
        _log("province hierarchy (shared/data/shaanxi)")
        results["province"] = _hook("province", lambda m: m.run(url, log=_log))
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            pg = conn.execute("SELECT split_part(version(), ' on ', 1) || ', PostGIS ' || postgis_lib_version()"
                              ).fetchone()[0]
    finally:
        if args.keep:
            _log(f"cluster kept: DATABASE_URL={url}")
        else:
            provision.stop(base)
            shutil.rmtree(base, ignore_errors=True)
    total = time.perf_counter() - t_start
    text = section(results, started, total, pg)
    print(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    if not args.no_write:
        benchmarks_md.replace_section(HEAD, text.rstrip("\n") + "\n")
        _log(f"BENCHMARKS.md updated ({total / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
