"""Bulk location: the product's set-based path vs a plain ``UPDATE … FROM grids WHERE ST_Covers``.

    .venv/bin/python bench/locate.py [--points 1000000] [--database-url URL]

Needs a database holding a city (bench/city.py). The points are the ``--points`` first incidents
of the database (their real imported positions); when there are fewer, random points over the
district's extent (seeded, deterministic) make up the rest. In one run, on the same points:

* **product**: :func:`gridapp.services.locate.locate_staged` + materialising
  :func:`gridapp.services.locate.staged_location_sql` (community, district and grid of every point by
  the whole location rule, including the GiST index on the points: what the incident import does);
* **baseline**: ``UPDATE pts SET grid_code = g.code FROM grids g WHERE ST_Covers(g.geom, pts.geom)``
  (the grid only; PostgreSQL picks the plan: one GiST probe of grids and one unprepared test per point).

Both run in a transaction that is rolled back. Reports points/s of both and the ratio, and checks
that both give the same grid to every point a grid covers.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _points(n: int) -> None:
    from sqlalchemy import text

    from gridapp.extensions import db

    db.session.execute(text("CREATE TEMP TABLE bench_points (idx int PRIMARY KEY, geom geometry(Point, 4326)) "
                            "ON COMMIT DROP"))
    db.session.execute(text("INSERT INTO bench_points SELECT row_number() OVER (ORDER BY id), geom "
                            "FROM (SELECT id, geom FROM incidents ORDER BY id LIMIT :n) i"), {"n": n})
    have = db.session.scalar(text("SELECT count(*) FROM bench_points"))
    if have < n:
        db.session.execute(text("SELECT setseed(0.42)"))
        db.session.execute(text("""
            INSERT INTO bench_points
            SELECT :have + s, ST_SetSRID(ST_MakePoint(ST_XMin(b) + random() * (ST_XMax(b) - ST_XMin(b)),
                                                      ST_YMin(b) + random() * (ST_YMax(b) - ST_YMin(b))), 4326)
            FROM (SELECT ST_Extent(geom)::box2d AS b FROM grids) e, generate_series(1, :more) s"""),
                           {"have": have, "more": n - have})


def run(database_url: str, points: int = 1_000_000, log=print) -> dict:
    """Measure both paths on ``points`` points; return {points, product_s, product_points_per_s,
    baseline_s, baseline_points_per_s, ratio, disagreements, product_steps_s (seconds per step:
    order_and_index, communities, grids, result_indexes, assemble), joins_points_per_s (points per
    second of the two polygon joins alone)}."""
    from sqlalchemy import text

    from bench.city import make_app
    from gridapp.extensions import db
    from gridapp.services.locate import locate_staged, staged_location_sql

    app = make_app(database_url)
    with app.app_context():
        try:
            _points(points)
            db.session.execute(text("CREATE TEMP TABLE bench_plain ON COMMIT DROP AS "
                                    "SELECT idx, geom, NULL::text AS grid_code FROM bench_points"))
            db.session.execute(text("ANALYZE bench_plain"))
            log(f"locate: {points} points staged; product path ...")
            t0 = time.perf_counter()
            steps: dict = {}
            locate_staged("bench_points", steps)
            t1 = time.perf_counter()
            db.session.execute(text(f"CREATE TEMP TABLE bench_located ON COMMIT DROP AS "
                                    f"{staged_location_sql('bench_points')}"))
            steps["assemble"] = round(time.perf_counter() - t1, 3)
            product_s = time.perf_counter() - t0
            log(f"locate: product {product_s:.2f} s; baseline ...")
            t0 = time.perf_counter()
            db.session.execute(text("UPDATE bench_plain p SET grid_code = g.code FROM grids g "
                                    "WHERE ST_Covers(g.geom, p.geom)"))
            baseline_s = time.perf_counter() - t0
            log(f"locate: baseline {baseline_s:.2f} s")
            located = db.session.scalar(text("SELECT count(grid_code) FROM bench_located"))
            # a point on a shared edge gets any covering grid from the plain UPDATE: compare the rest
            disagree = db.session.scalar(text("""
                SELECT count(*) FROM bench_located l JOIN bench_plain p USING (idx)
                WHERE p.grid_code IS DISTINCT FROM l.grid_code
                  AND (SELECT count(*) FROM grids g WHERE ST_Covers(g.geom, l.geom)) = 1"""))
        finally:
            db.session.rollback()
            db.session.remove()
    return {"points": points, "located_in_a_grid": located,
            "product_s": round(product_s, 2), "product_points_per_s": round(points / product_s),
            "baseline_s": round(baseline_s, 2), "baseline_points_per_s": round(points / baseline_s),
            "ratio": round(baseline_s / product_s, 2), "disagreements": disagree, "product_steps_s": steps,
            "joins_points_per_s": round(points / (steps["communities"] + steps["grids"]))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL (a database holding bench/city.py's city)")
    print(json.dumps(run(args.database_url, args.points, log=lambda m: print(m, file=sys.stderr, flush=True)),
                     indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
