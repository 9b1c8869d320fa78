"""Province-shaped hierarchy (issue 23): the divisions of Shaanxi loaded as areas, and the dashboard's
drill-down timed at that breadth.

    .venv/bin/python bench/province.py --database-url URL

Data: /work/shared/data/shaanxi/shaanxi_divisions.csv — 10 cities, 107 counties, 1,335 townships,
20,356 village-level units (NBS 2023 division codes, via china-division 2.7.0; provenance in
/work/shared/data/README.md). The file has names and codes only, no boundaries: each county,
township and village gets a synthetic square (counties tiled 0.5° apart far from any real data;
townships tiling their county, villages their township), ``boundary_source`` = ``derived``. Counties
are districts, townships townships, villages and 居委会 communities (the product's levels; the
province and city levels above districts are not areas of the product). Counties already present
(the demo's 王益区) are left alone with their descendants.

Measured (bench admin, the last 365 days, medians of ``repeat`` runs, ms): the dashboard of the
county with the most village units (:func:`gridapp.analytics.dashboard.summary`) and its map layers
by township and by community (:func:`gridapp.analytics.dashboard.areas_layer`), and the dashboard
of one of its townships (the next drill-down step).
"""
from __future__ import annotations

import csv
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

DIVISIONS = Path("/work/shared/data/shaanxi/shaanxi_divisions.csv")
LEVELS = {"county": "district", "township": "township", "village": "community"}
ORIGIN = (60.0, 10.0)  # lon, lat of the first county's corner: far from every real and synthetic area
COUNTY_DEG = 0.5


def _tiles(x0: float, y0: float, size: float, n: int) -> list[tuple[float, float, float]]:
    """n squares (x, y, side) tiling the square (x0, y0, size) row by row."""
    per = max(1, math.ceil(math.sqrt(n)))
    side = size / per
    return [(x0 + (i % per) * side, y0 + (i // per) * side, side) for i in range(n)]


def rows(existing: set[str]) -> list[dict]:
    """The areas to insert: {code, name, level, unit_type, parent_code, district_code, x, y, side}."""
    with DIVISIONS.open(encoding="utf-8") as f:
        items = [r for r in csv.DictReader(f) if r["level"] in LEVELS]
    children = defaultdict(list)
    for r in items:
        children[r["parent_code"]].append(r)
    counties = [r for r in items if r["level"] == "county" and r["code"] not in existing]
    per_row = math.ceil(math.sqrt(len(counties)))
    out = []

    def place(r, x, y, side, parent):
        out.append({"code": r["code"], "name": r["name"], "level": LEVELS[r["level"]], "unit_type": r["unit_type"],
                    "parent_code": parent, "district_code": r["code"][:6], "x": x, "y": y, "side": side})
        kids = sorted(children.get(r["code"], []), key=lambda k: k["code"])
        for kid, (kx, ky, ks) in zip(kids, _tiles(x, y, side, len(kids)), strict=True):
            place(kid, kx, ky, ks, r["code"])

    for i, county in enumerate(sorted(counties, key=lambda r: r["code"])):
        place(county, ORIGIN[0] + (i % per_row) * COUNTY_DEG, ORIGIN[1] + (i // per_row) * COUNTY_DEG,
              COUNTY_DEG * 0.98, None)
    return out


def load(conn) -> dict:
    """Insert the province's areas (one transaction); returns counts per level and seconds."""
    existing = {r[0] for r in conn.execute("SELECT code FROM admin_areas WHERE level = 'district'")}
    todo = rows(existing)
    t = time.perf_counter()
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO admin_areas (code, name, official_name, level, unit_type, parent_code, district_code, "
            "boundary_source, geom) VALUES (%(code)s, %(name)s, %(name)s, %(level)s, %(unit_type)s, %(parent_code)s, "
            "%(district_code)s, 'derived', ST_Multi(ST_MakeEnvelope(%(x)s, %(y)s, %(x)s + %(side)s, %(y)s + %(side)s, "
            "4326))) ON CONFLICT (code) DO NOTHING", todo)
    conn.commit()
    conn.execute("ANALYZE admin_areas")
    counts = defaultdict(int)
    for r in todo:
        counts[r["level"]] += 1
    return {**counts, "load_s": round(time.perf_counter() - t, 1)}


def _ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 1)


def run(database_url: str, repeat: int = 3, log=print) -> dict:
    """Load the province and time the drill-down (module doc)."""
    import city
    import psycopg

    from gridapp.analytics import dashboard
    from gridapp.core.clock import local_zone
    from gridapp.extensions import db

    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        out = {"loaded": load(conn)}
        county, villages = conn.execute(
            "SELECT left(code, 6), count(*) FROM admin_areas WHERE level = 'community' AND code LIKE '61%%' "
            "AND left(code, 6) <> '610202' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
        township = conn.execute("SELECT code FROM admin_areas WHERE parent_code = %s ORDER BY code LIMIT 1",
                                (county,)).fetchone()[0]
        out["areas"] = dict(conn.execute("SELECT level, count(*) FROM admin_areas GROUP BY 1").fetchall())
    log(f"  province loaded: {out['loaded']}; county {county} with {villages} village units")
    from datetime import datetime, timedelta
    app = city.make_app(database_url)
    with app.test_request_context():
        admin = city.bench_admin()
        today = datetime.now(local_zone()).date()
        start = (today - timedelta(days=364)).isoformat()

        def call(fn, *args):
            json.dumps(fn(admin, *args, start, today.isoformat()), default=str)
            db.session.rollback()

        out["county"] = {"code": county, "village_units": villages, "township": township}
        out["ms"] = {"county dashboard": _ms(lambda: call(dashboard.summary, "district", county), repeat),
                     "county layer by township": _ms(
                         lambda: call(dashboard.areas_layer, "district", county, "township"), repeat),
                     "county layer by community": _ms(
                         lambda: call(dashboard.areas_layer, "district", county, "community"), repeat),
                     "township dashboard": _ms(lambda: call(dashboard.summary, "township", township), repeat)}
        db.session.remove()
    log(f"  province drill-down: {out['ms']}")
    return out


if __name__ == "__main__":
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    print(json.dumps(run(args.database_url), ensure_ascii=False, indent=1))
