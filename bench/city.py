"""A synthetic but realistic city for the benchmarks: ~10,000 grids over ~60 km × 60 km and
1,000,000 incidents over one year, loaded through the product's own import paths.

    .venv/bin/python bench/city.py [--grids 10000] [--incidents 1000000] [--size-km 60]
                                   [--chunk 250000] [--boundaries-only] [--database-url URL]

(``DATABASE_URL`` is used when ``--database-url`` is not given; the database must be migrated.)

**Everything here is synthetic (合成数据，虚构).** Nothing is presented as real:

* codes: prefecture ``1399`` — province 13 (河北) has no prefecture 99, so no real unit carries
  these codes; the district is ``139902`` 合成示范区（虚构）. Township codes follow the NBS
  统计用区划代码 scheme: sequence 001–099 街道 (the denser half), 100–199 镇 (the rest); village-level
  sequence 001–199 社区居委会, 200–399 村委会 (gridapp/codes.py, geodata/standards/grid_code_rules.md).
  Grid codes are the product's 15-digit scheme (:func:`gridapp.geo.grid_code`: community code + 001…,
  numbered west→east, north→south by :func:`gridapp.geo.number_grids`, as the demo does);
* place: a square of ``size_km`` centred on 116.20°E 38.40°N (the 河北 plain, inside the default
  ``GRIDAPP_IMPORT_EXTENT``);
* shapes: every level is cut by the product's own CVT grid generator
  (:func:`gridapp.geo.generate_grids`, the one behind ``grid_edit.generate`` and the demo): the
  whole square into ``--grids`` grids of equal area (≈ 0.36 km² at 10,000: 600 m × 600 m), and into
  township regions, each township region into community regions; a unit is the exact union of the
  grids falling in its region (so every level tiles its parent with shared edges, as the demo's
  noded hierarchy). Communities are smaller where the assumed density is higher (an urban core
  8× the rural edge): each township gets communities in proportion to area × density
  (:func:`gridapp.geo.allocate`); the sparse units of a 镇 are 村;
* loading: boundaries go through :func:`gridapp.boundaries.imports.import_file` (the path of
  ``flask gridapp import`` and of the import page), district → townships → communities (one import
  per township) → all grids in one import under the district; incidents through the same function
  with a CSV (level ``incident``), in chunks of ``--chunk`` rows (each chunk one transaction);
* incidents: points drawn with the assumed density (urban core 8× the edge: central grids get
  more cases);
  category mix = the type frequencies of the real Boston 311 cases of 2015
  (``/work/shared/data/boston/boston311_2015_urban.csv``, City of Boston, PDDL 1.0; falls back to
  the fixture in geodata/boston) mapped onto the product's categories by
  geodata/boston/boston_type_to_gbt30428_mapping.csv (:func:`gridapp.incidents.boston.load_categories`);
* states and times: the import creates every case as 上报 ``reported`` (that is what the product's
  import does); afterwards :func:`apply_states` spreads ``reported_at`` uniformly over the year
  before the build (``end``: now, so that the dashboard's "last 30 days" hold a month of cases;
  the last 4 days are left empty) and moves the cases on **set-based, in SQL** (not through the workflow service,
  which would take hours for a million cases), writing the matching history rows in
  ``incident_events`` (report, accept, file, dispatch, handle, verify, evaluate): 90 % end closed
  (Boston 2015: 45,679 of 50,778 cases Closed), of which a third evaluated; the open tenth is spread
  over reported/accepted/filed/dispatched/in_progress/handled — an **assumed** split; processing
  delays are assumed (hours to days), deadlines = filed + 72 h (assumed).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import psycopg
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridapp import geo  # noqa: E402
from gridapp.geo.project import LocalProjection  # noqa: E402

PREFECTURE = "1399"                 # synthetic: no such prefecture
DISTRICT = PREFECTURE + "02"
DISTRICT_NAME = "合成示范区（虚构）"
CENTRE = (116.20, 38.40)            # lon, lat (河北 plain)
BENCH_ADMIN = "bench-admin"
BOSTON_CASES = Path("/work/shared/data/boston/boston311_2015_urban.csv")
BOSTON_FIXTURE = ROOT / "geodata" / "boston" / "boston311_2015_fixture_wards3_5_may.csv"
GRIDS_PER_COMMUNITY = 10            # typical 5–15 in Chinese cities
COMMUNITIES_PER_TOWNSHIP = 20


@dataclass
class Unit:
    """One synthetic unit: code, official name, level, parent, unit type and lon/lat geometry."""

    code: str
    name: str
    level: str
    parent: str | None
    geom: object
    unit_type: str | None = None
    weight: float = 1.0


@dataclass
class City:
    """The synthetic city: units by level (district, township, community, grid)."""

    district: Unit
    townships: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    grids: list = field(default_factory=list)


def _density(xy_m: np.ndarray, half_m: float) -> np.ndarray:
    """Relative density at metric points (centre of the square = 0,0): an urban core 8× the rural
    edge, falling off over about a sixth of the square (assumed shape)."""
    r = np.hypot(xy_m[:, 0], xy_m[:, 1]) / half_m
    return 1.0 + 7.0 * np.exp(-(r / 0.35) ** 2)


def _weights(geoms, proj: LocalProjection, half_m: float) -> np.ndarray:
    metric = proj.to_metric(np.array(geoms, dtype=object))
    centres = shapely.get_coordinates(shapely.centroid(metric))
    return shapely.area(metric) * _density(centres, half_m)


def _cut(args):
    polygon, n = args
    cells = geo.generate_grids(polygon, n)
    return [cells[i] for i in geo.number_grids(cells)]


def _assign(cells, regions) -> np.ndarray:
    """Index of the region holding each cell's point on surface (regions tile the area)."""
    inner = shapely.point_on_surface(np.array(cells, dtype=object))
    cell_idx, region_idx = shapely.STRtree(np.array(regions, dtype=object)).query(inner, predicate="intersects")
    owner = np.full(len(cells), -1)
    np.maximum.at(owner, cell_idx, region_idx)
    return owner


def build_geometry(grids: int = 10_000, size_km: float = 60.0, processes: int = 2) -> City:
    """Build the synthetic city's units (pure geometry; no database). See the module docstring.

    The grids are cut first, all at once, by the product's generator (so neighbours share exact
    edges); townships and communities are CVT regions of the same generator, and each unit is the
    exact union (``coverage_union``) of the grids whose point on surface falls in its region — so
    every level tiles its parent exactly and all levels are noded.
    Returns a :class:`City`."""
    half = size_km * 500.0
    proj = LocalProjection.around(shapely.Point(CENTRE).buffer(0.01))
    square = proj.to_lonlat(shapely.box(-half, -half, half, half))
    n_communities = max(1, round(grids / GRIDS_PER_COMMUNITY))
    n_townships = max(1, round(n_communities / COMMUNITIES_PER_TOWNSHIP))
    with Pool(processes) as pool:
        grid_job = pool.apply_async(geo.generate_grids, (square, grids))
        t_cells = geo.generate_grids(square, n_townships)
        t_weights = _weights(t_cells, proj, half)
        c_shares = geo.allocate(n_communities, {f"{i:04d}": float(w) for i, w in enumerate(t_weights)}, minimum=2)
        c_regions = [geo.generate_grids(cell, c_shares[f"{i:04d}"]) for i, cell in enumerate(t_cells)]
        cells = np.array(grid_job.get(), dtype=object)
    t_of = _assign(cells, t_cells)
    whole = geo.force_2d_multipolygon(shapely.coverage_union_all(cells))
    city = City(Unit(DISTRICT, DISTRICT_NAME, "district", None, whole))
    order = np.argsort(-t_weights, kind="stable")  # the denser half are 街道 (001…), the rest 镇 (100…)
    n_streets = n_townships // 2
    for rank, ti in enumerate(order):
        mine = cells[t_of == ti]
        if len(mine) == 0:
            continue
        street = rank < n_streets
        seq = rank + 1 if street else 100 + rank - n_streets
        tcode = f"{DISTRICT}{seq:03d}"
        name = f"合成{seq:03d}街道办事处" if street else f"合成{seq:03d}镇"
        city.townships.append(Unit(tcode, name, "township", DISTRICT,
                                   geo.force_2d_multipolygon(shapely.coverage_union_all(mine))))
        regions = c_regions[ti]
        c_of = _assign(mine, regions)
        density = _density(shapely.get_coordinates(shapely.centroid(proj.to_metric(np.array(regions, dtype=object)))),
                           half)
        next_res, next_vil = 1, 200
        for ci in range(len(regions)):
            group = mine[c_of == ci]
            if len(group) == 0:
                continue
            village = not street and density[ci] < 1.5  # the sparse units of a town are villages
            cseq = next_vil if village else next_res
            next_vil, next_res = (next_vil + 1, next_res) if village else (next_vil, next_res + 1)
            code = f"{tcode}{cseq:03d}"
            label = f"合成{tcode[-3:]}{cseq:03d}"
            city.communities.append(Unit(code, label + ("村民委员会" if village else "社区居民委员会"), "community",
                                         tcode, geo.force_2d_multipolygon(shapely.coverage_union_all(group)),
                                         "村委会" if village else "居委会"))
            short = label + ("村" if village else "社区")
            for gseq, gi in enumerate(geo.number_grids(list(group)), start=1):
                city.grids.append(Unit(geo.grid_code(code, gseq), f"{short}{gseq}号网格", "grid", code, group[gi]))
    return city


def _geojson(units: list[Unit]) -> bytes:
    features = [{"type": "Feature", "properties": {"code": u.code, "name": u.name},
                 "geometry": json.loads(shapely.to_geojson(u.geom))} for u in units]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def bench_admin():
    """The (inactive, password-less) admin account the bench imports are made as; caller commits."""
    from sqlalchemy import select

    from gridapp.extensions import db
    from gridapp.models import User

    user = db.session.scalar(select(User).where(User.username == BENCH_ADMIN))
    if user is None:
        user = User(username=BENCH_ADMIN, display_name="压测管理员（虚构）", role="admin", password_hash="!",
                    active=False)
        db.session.add(user)
        db.session.commit()
    return user


def _import(user, level: str, parent: str | None, data: bytes, filename: str) -> dict:
    from flask import current_app

    from gridapp.boundaries import imports

    options = imports.parse_options({"level": level, "parent_code": parent, "mode": "commit"},
                                    current_app.config["IMPORT_EXTENT"])
    report = imports.import_file(user, data, filename, options)
    if report["refused"] or not report["committed"]:
        raise RuntimeError(f"{level} import under {parent} refused: {report['refused'][:3]}")
    return report


def load_boundaries(city: City, log=print) -> dict:
    """Load the city's boundaries through the product's import path (inside an app context).
    Returns {level: number created}. Raises RuntimeError when any import refuses something."""
    user = bench_admin()
    counts = Counter()
    counts["district"] += _import(user, "district", None, _geojson([city.district]), "district.geojson")["created"]
    counts["township"] += _import(user, "township", DISTRICT, _geojson(city.townships), "townships.geojson")["created"]
    for t in city.townships:
        group = [c for c in city.communities if c.parent == t.code]
        counts["community"] += _import(user, "community", t.code, _geojson(group), "communities.geojson")["created"]
    _set_unit_types(city)
    log(f"  townships and communities imported; importing {len(city.grids)} grids ...")
    counts["grid"] += _import(user, "grid", DISTRICT, _geojson(city.grids), "grids.geojson")["created"]
    return dict(counts)


def _set_unit_types(city: City) -> None:
    """The import has no unit-type field: record 居委会 / 村委会 like the NBS file does."""
    from sqlalchemy import text

    from gridapp.extensions import db

    db.session.execute(text("UPDATE admin_areas SET unit_type = :t WHERE code = :c"),
                       [{"t": c.unit_type, "c": c.code} for c in city.communities])
    db.session.commit()


def category_mix() -> list[tuple[str, float]]:
    """[(category code, share)] from the real Boston 311 cases of 2015 (module docstring), the
    types mapped by the product's Boston mapping (creates the component classes C01… if needed;
    caller commits). Shares sum to 1."""
    from gridapp.demo import load_categories
    from gridapp.incidents import boston

    load_categories()
    mapping = boston.load_categories()
    path = BOSTON_CASES if BOSTON_CASES.exists() else BOSTON_FIXTURE
    counts: Counter = Counter()
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["type"] in mapping:
                counts[mapping[row["type"]]] += 1
    total = sum(counts.values())
    return [(code, n / total) for code, n in sorted(counts.items())]


def incident_points(city: City, n: int, seed: int = 20261129) -> np.ndarray:
    """``n`` lon/lat points inside the district, drawn with the density of :func:`_density`
    (rejection sampling in the metric square; seeded, deterministic). Returns an (n, 2) array."""
    rng = np.random.default_rng(seed)
    proj = LocalProjection.around(shapely.Point(CENTRE).buffer(0.01))
    minx, miny, maxx, maxy = proj.to_metric(city.district.geom).bounds
    half = (maxx - minx) / 2
    out, have = [], 0
    while have < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(n, 2))
        keep = rng.uniform(0, 8.0, size=n) < _density(xy, half)
        pts = shapely.get_coordinates(proj.to_lonlat(shapely.points(xy[keep])))
        inside = shapely.contains_xy(city.district.geom, pts[:, 0], pts[:, 1])
        out.append(pts[inside])
        have += int(inside.sum())
    return np.concatenate(out)[:n]


def incidents_csv(points: np.ndarray, mix: list[tuple[str, float]], start: int = 0, seed: int = 7) -> bytes:
    """A CSV (lon, lat, category_code, description) of the points, categories drawn from ``mix``."""
    rng = np.random.default_rng(seed + start)
    codes = [c for c, _ in mix]
    chosen = rng.choice(len(codes), size=len(points), p=[w for _, w in mix])
    buf = io.StringIO()
    buf.write("lon,lat,category_code,description\n")
    for i, ((lon, lat), k) in enumerate(zip(points, chosen, strict=True), start=start):
        buf.write(f"{lon:.7f},{lat:.7f},{codes[k]},合成事件（虚构）第{i + 1}号\n")
    return buf.getvalue().encode()


def load_incidents(city: City, n: int, chunk: int = 250_000, log=print) -> dict:
    """Import ``n`` incidents through the product's incident import (CSV, level incident) in chunks
    of ``chunk`` rows (each one transaction), then :func:`apply_states`. Returns timings."""
    from gridapp.extensions import db

    user = bench_admin()
    mix = category_mix()
    db.session.commit()
    points = incident_points(city, n)
    out = {"incidents_created": 0, "incident_import_s": 0.0}
    for start in range(0, n, chunk):
        data = incidents_csv(points[start:start + chunk], mix, start)
        t0 = time.perf_counter()
        out["incidents_created"] += _import(user, "incident", None, data, "incidents.csv")["created"]
        out["incident_import_s"] += time.perf_counter() - t0
        log(f"  incidents imported: {out['incidents_created']} ({out['incident_import_s']:.1f} s)")
    out["incident_import_s"] = round(out["incident_import_s"], 1)
    t0 = time.perf_counter()
    out["events"] = apply_states(user.id)
    out["states_s"] = round(time.perf_counter() - t0, 1)
    log(f"  states and history applied in {out['states_s']} s ({out['events']} history rows)")
    return out


#: (rank, action, from, to, hours after the report × the case's pace) of the closed loop, in order
#: (actions of gridapp.incidents.rules.TRANSITIONS; delays assumed).
STEPS = ((1, "report", None, "reported", 0.0), (2, "accept", "reported", "accepted", 0.5),
         (3, "file", "accepted", "filed", 2.0), (4, "dispatch", "filed", "dispatched", 3.0),
         (5, "start", "dispatched", "in_progress", 6.0), (6, "handle", "in_progress", "handled", 30.0),
         (7, "verify", "handled", "closed", 40.0), (8, "evaluate", "closed", "evaluated", 60.0))
#: cumulative share of the final state (rank): 90 % closed (Boston 2015), a third of them evaluated,
#: the open tenth spread over the open states (assumed).
STATE_SHARES = ((1, 0.015), (2, 0.03), (3, 0.045), (4, 0.06), (5, 0.085), (6, 0.10), (7, 0.70), (8, 1.0))
BENCH_DEPARTMENT = ("BENCH-ZF", "测试单位·综合执法（虚构）")
#: the triggers keeping the KPI facts (migrations 0013_daily_facts, 0014_kpi_rollups) that apply_states' statements fire
FACT_TRIGGERS = (("incident_events", "kpi_facts_insert"), ("incidents", "kpi_facts_update"))


def apply_states(actor_id: int, end: str | None = None) -> int:
    """Spread the bench incidents (reported by the bench admin) over the year before ``end``
    (ISO timestamp, UTC; default now) and move them through the closed loop set-based (module
    docstring), with one history row per step. One transaction. Returns the number of history rows written."""
    from sqlalchemy import text

    from gridapp.extensions import db

    run = db.session.execute
    run(text("SET LOCAL work_mem = '256MB'"))
    # a bulk load: the KPI facts' triggers off, one rebuild at the end (gridapp.analytics.facts)
    for table, trigger in FACT_TRIGGERS:
        run(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    run(text("INSERT INTO departments (code, name, district_code) VALUES (:c, :n, :d) ON CONFLICT DO NOTHING"),
        {"c": BENCH_DEPARTMENT[0], "n": BENCH_DEPARTMENT[1], "d": DISTRICT})
    run(text("SELECT setseed(0.20261129)"))
    rank = "CASE " + " ".join(f"WHEN u < {share} THEN {r}" for r, share in STATE_SHARES) + " END"
    run(text(f"""CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
        SELECT id, CAST(:end AS timestamptz) - random() * interval '365 days' - interval '4 days' AS t0,
               0.5 + random() * 1.5 AS pace, {rank} AS rank, 1 + floor(random() * 5)::int AS rating
        FROM (SELECT id, random() AS u FROM incidents
              WHERE reporter_id = :actor AND district_code = :d AND status = 'reported'
                AND NOT EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = incidents.id)) i"""),
        {"end": end or datetime.now(UTC).isoformat(), "actor": actor_id, "d": DISTRICT})
    steps = ", ".join(f"({r}, '{a}', {repr(f) if f else 'NULL'}, '{t}', {h})" for r, a, f, t, h in STEPS)
    at = "p.t0 + s.hours * p.pace * interval '1 hour'"
    events = run(text(f"""
        INSERT INTO incident_events (incident_id, actor_id, at, action, from_state, to_state, note, data, attachments)
        SELECT p.id, :actor, {at}, s.action, s.from_state, s.to_state,
               CASE s.action WHEN 'handle' THEN '处置完毕（合成数据）' END,
               CAST(CASE s.action WHEN 'evaluate' THEN json_build_object('rating', p.rating)::text
                                  WHEN 'dispatch' THEN json_build_object('department_code', CAST(:dep AS text))::text
                                  ELSE '{{}}' END AS json), CAST('[]' AS json)
        FROM bench_plan p JOIN (VALUES {steps}) s(rank, action, from_state, to_state, hours) ON s.rank <= p.rank
        ORDER BY p.id, s.rank"""), {"actor": actor_id, "dep": BENCH_DEPARTMENT[0]}).rowcount
    hours = {a: h for _r, a, _f, _t, h in STEPS}
    def when(action):
        return f"p.t0 + {hours[action]} * p.pace * interval '1 hour'"
    run(text(f"""
        UPDATE incidents i SET
            status = (ARRAY['reported','accepted','filed','dispatched','in_progress','handled','closed',
                            'evaluated'])[p.rank],
            version = p.rank, reported_at = p.t0,
            filed_at = CASE WHEN p.rank >= 3 THEN {when('file')} END,
            deadline_at = CASE WHEN p.rank >= 3 THEN {when('file')} + interval '72 hours' END,
            department_code = CASE WHEN p.rank >= 4 THEN :dep END,
            handled_at = CASE WHEN p.rank >= 6 THEN {when('handle')} END,
            closed_at = CASE WHEN p.rank >= 7 THEN {when('verify')} END,
            rating = CASE WHEN p.rank >= 8 THEN p.rating END
        FROM bench_plan p WHERE i.id = p.id"""), {"dep": BENCH_DEPARTMENT[0]})
    for table, trigger in FACT_TRIGGERS:
        run(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
    db.session.commit()
    from gridapp.analytics import facts

    facts.rebuild()
    return events


def make_app(database_url: str):
    """The product's app (development configuration) on ``database_url``."""
    os.environ["DATABASE_URL"] = database_url
    from gridapp import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def build(database_url: str, grids: int = 10_000, incidents: int = 1_000_000, size_km: float = 60.0,
          boundaries_only: bool = False, chunk: int = 250_000, log=print) -> dict:
    """Generate and load the whole city into a migrated database; return timings (seconds) and counts."""
    from gridapp.extensions import db

    out: dict = {"grids_requested": grids, "incidents_requested": incidents, "size_km": size_km}
    t0 = time.perf_counter()
    city = build_geometry(grids, size_km)
    out["geometry_s"] = round(time.perf_counter() - t0, 1)
    log(f"geometry: {len(city.townships)} townships, {len(city.communities)} communities, "
        f"{len(city.grids)} grids in {out['geometry_s']} s")
    app = make_app(database_url)
    with app.app_context():
        t0 = time.perf_counter()
        out["created"] = load_boundaries(city, log)
        out["boundaries_s"] = round(time.perf_counter() - t0, 1)
        log(f"boundaries imported in {out['boundaries_s']} s: {out['created']}")
        if not boundaries_only and incidents:
            out.update(load_incidents(city, incidents, chunk=chunk, log=log))
        db.session.remove()
    # what a bulk load is followed by (PostgreSQL docs, "Populating a Database"): VACUUM ANALYZE. The
    # set-based state changes left a dead version of every incident; without it autovacuum would
    # clean 1M rows during whichever benchmark runs next (the create benchmark's p95 swung 1.3×–4×
    # between runs), and index-only scans would read the heap until the visibility map is set
    t0 = time.perf_counter()
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    out["vacuum_s"] = round(time.perf_counter() - t0, 1)
    log(f"VACUUM (ANALYZE) in {out['vacuum_s']} s")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--size-km", type=float, default=60.0)
    parser.add_argument("--chunk", type=int, default=250_000, help="incident rows per import (one transaction each)")
    parser.add_argument("--boundaries-only", action="store_true")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL (a migrated PostGIS database)")
    result = build(args.database_url, args.grids, args.incidents, args.size_km, args.boundaries_only, args.chunk,
                   log=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
