"""Bulk location: the product's path vs a plain ``UPDATE … FROM grids WHERE ST_Covers``.

    .venv/bin/python bench/locate.py [--points 1000000] [--database-url URL]

Needs a database holding a city (bench/city.py); reads only (temporary tables, rolled back). The
points are the ``--points`` first incidents of the database (their real imported positions); when
there are fewer, random points over the district's extent (seeded, deterministic) make up the rest.
In one run, on the same points:

* **product**: :func:`gridapp.boundaries.locate.locate_many` — what the incident import
  (``boundaries.import_incidents._insert_located``) runs to locate its points: from the points' coordinates
  (lon/lat arrays, as the import holds them after parsing) to the located rows ready to insert
  (community, district and grid code of every point by the whole location rule). Included: the one
  query loading the communities and grids (WKB), parsing them, the vectorised rule
  (:func:`gridapp.geo.locate.locate_points`) and turning positions into code columns. Not included
  (reported as ``copy_s``): the COPY of the located rows into the import's temporary table, which
  the import runs in any design — as the baseline's points are staged before its clock starts;
* **baseline**: ``UPDATE pts SET grid_code = g.code FROM grids g WHERE ST_Covers(g.geom, pts.geom)``
  on the staged points (the grid only; PostgreSQL picks the plan: one GiST probe of grids and one
  unprepared test per point).

Both run in a transaction that is rolled back. Reports points/s of both and the ratio, and checks
the product against PostGIS: ``disagreements`` = points that exactly one grid covers
(``ST_Covers``) to which the two sides give different grids; ``community_disagreements`` = points
whose community differs from the SQL rule (smallest code among the covering village-level units,
evaluated set-based).
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
    """Measure both paths on ``points`` points; return {points, located_in_a_grid, product_s,
    product_points_per_s, baseline_s, baseline_points_per_s, ratio, disagreements,
    community_disagreements, product_steps_s (seconds per step of the product: load, locate, codes),
    copy_s (the COPY of the located rows; not in product_s)}."""
    import numpy as np
    from sqlalchemy import text

    from bench.city import make_app
    from gridapp.boundaries.locate import locate_many
    from gridapp.extensions import db

    app = make_app(database_url)
    with app.app_context():
        try:
            _points(points)
            db.session.execute(text("CREATE TEMP TABLE bench_plain ON COMMIT DROP AS "
                                    "SELECT idx, geom, NULL::text AS grid_code FROM bench_points"))
            db.session.execute(text("ANALYZE bench_plain"))
            xy = np.array(db.session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM bench_points ORDER BY idx"))
                          .all(), dtype=np.float64).reshape(-1, 2)
            log(f"locate: {points} points staged; product path ...")
            steps: dict = {}
            t0 = time.perf_counter()
            located = locate_many(xy[:, 0], xy[:, 1], steps)
            product_s = time.perf_counter() - t0
            log(f"locate: product {product_s:.2f} s {steps}; COPY of the located rows ...")
            t0 = time.perf_counter()
            db.session.execute(text("CREATE TEMP TABLE bench_located (idx int PRIMARY KEY, lon float8, lat float8, "
                                    "community_code text, district_code text, grid_code text) ON COMMIT DROP"))
            cursor = db.session.connection().connection.driver_connection.cursor()
            with cursor.copy("COPY bench_located FROM STDIN") as copy:
                for row in zip(range(1, points + 1), xy[:, 0].tolist(), xy[:, 1].tolist(), located.community_code,
                               located.district_code, located.grid_code, strict=True):
                    copy.write_row(row)
            copy_s = time.perf_counter() - t0
            log(f"locate: COPY {copy_s:.2f} s; baseline ...")
            t0 = time.perf_counter()
            db.session.execute(text("UPDATE bench_plain p SET grid_code = g.code FROM grids g "
                                    "WHERE ST_Covers(g.geom, p.geom)"))
            baseline_s = time.perf_counter() - t0
            log(f"locate: baseline {baseline_s:.2f} s; checking ...")
            located_n = db.session.scalar(text("SELECT count(grid_code) FROM bench_located"))
            # a point on a shared edge gets any covering grid from the plain UPDATE: compare the rest
            disagree = db.session.scalar(text("""
                SELECT count(*) FROM bench_located l JOIN bench_plain p USING (idx)
                WHERE p.grid_code IS DISTINCT FROM l.grid_code
                  AND (SELECT count(*) FROM grids g WHERE ST_Covers(g.geom, p.geom)) = 1"""))
            # the community by the SQL rule, set-based (polygons outside, a GiST index on the points)
            db.session.execute(text("CREATE INDEX ON bench_points USING gist (geom)"))
            db.session.execute(text("ANALYZE bench_points"))
            community_disagree = db.session.scalar(text("""
                WITH sql_rule AS (
                    SELECT p.idx, min(a.code) AS code FROM admin_areas a
                    CROSS JOIN LATERAL (SELECT idx FROM bench_points p WHERE ST_Covers(a.geom, p.geom) OFFSET 0) p
                    WHERE a.level = 'community' GROUP BY p.idx)
                SELECT count(*) FROM bench_located l LEFT JOIN sql_rule r USING (idx)
                WHERE r.code IS DISTINCT FROM l.community_code"""))
        finally:
            db.session.rollback()
            db.session.remove()
    return {"points": points, "located_in_a_grid": located_n,
            "product_s": round(product_s, 2), "product_points_per_s": round(points / product_s),
            "baseline_s": round(baseline_s, 2), "baseline_points_per_s": round(points / baseline_s),
            "ratio": round(baseline_s / product_s, 2), "disagreements": disagree,
            "community_disagreements": community_disagree, "product_steps_s": steps, "copy_s": round(copy_s, 2)}


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
