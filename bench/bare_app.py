"""The baselines of bench/create.py, bare Flask + psycopg apps. Not part of the product.

* ``app``: ``POST /api/v1/incidents`` does only the INSERT (no authentication, validation,
  location or history);
* ``same_work``: ``POST /api/v1/incidents`` does what the product's create does, by hand, in one
  statement (:data:`SAME_WORK_SQL`) with the least checking in Python.

    DATABASE_URL=... gunicorn bench.bare_app:app       (or bench.bare_app:same_work)
"""
from __future__ import annotations

import hashlib
import os
import threading

import psycopg
from flask import Flask, jsonify, request

app = Flask(__name__)
_local = threading.local()
_DSN = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")


def _conn() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(_DSN, options="-c timezone=UTC")
    return conn


@app.post("/api/v1/incidents")
def create_incident():
    """Insert one incident as sent (lon, lat, category, description, community, district, grid, reporter)."""
    b = request.get_json()
    conn = _conn()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO incidents (category_code, description, geom, grid_code, community_code, "
                    "district_code, reporter_id, status) VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
                    "%s, %s, %s, %s, 'reported') RETURNING id, reported_at",
                    (b["category_code"], b["description"], float(b["lon"]), float(b["lat"]), b["grid_code"],
                     b["community_code"], b["district_code"], b["reporter_id"]))
        row = cur.fetchone()
    conn.commit()
    return jsonify(id=row[0], reported_at=row[1].isoformat()), 201


# --------------------------------------------------------------------------- the same work, by hand
#: What the product's create does, written as one hand-made statement: the holder of the live token,
#: the category a leaf, the grid covering the point (and its community), the grid among the holder's
#: (a grid worker's scope), the case and its first history row, the possible duplicates (same
#: category, open, reported in the last 7 days, within 50 m, in the worker's grids or reported by them:
#: gridapp/incidents/duplicates.py).
SAME_WORK_SQL = """
WITH holder AS (
    SELECT u.id FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_sha256 = %(digest)s::varchar AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active),
place AS (
    SELECT g.code, g.community_code, g.district_code FROM grids g
    WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) ORDER BY g.code LIMIT 1),
ins AS (
    INSERT INTO incidents (category_code, description, geom, grid_code, community_code, district_code,
                           reporter_id, status, reported_at, version)
    SELECT %(category)s::varchar, %(description)s::text, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), p.code,
           p.community_code, p.district_code, h.id, 'reported', now(), 1
    FROM holder h, place p
    WHERE EXISTS (SELECT 1 FROM grid_assignments a WHERE a.user_id = h.id AND a.grid_code = p.code)
      AND EXISTS (SELECT 1 FROM incident_categories c WHERE c.code = %(category)s::varchar)
      AND NOT EXISTS (SELECT 1 FROM incident_categories c WHERE c.parent_code = %(category)s::varchar)
    RETURNING id, reporter_id, reported_at, grid_code, community_code, status),
history AS (
    INSERT INTO incident_events (incident_id, actor_id, at, action, to_state, data, attachments)
    SELECT id, reporter_id, reported_at, 'report', status, '{}', '[]' FROM ins)
SELECT ins.id, ins.grid_code, ins.community_code, ins.status, ins.reported_at,
       d.id, d.distance, d.status, d.reported_at
FROM ins LEFT JOIN LATERAL (
    SELECT i.id, ST_Distance(i.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography)
               AS distance, i.status, i.reported_at
    FROM (SELECT * FROM incidents WHERE geom && ST_Expand(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 0.001)
          OFFSET 0) i  -- the box alone first: else the generic plan ANDs it with a week of reported_at
    WHERE i.category_code = %(category)s::varchar
      AND i.status IN ('reported', 'accepted', 'filed', 'dispatched', 'in_progress', 'handled', 'deferred')
      AND i.reported_at >= now() - interval '7 days'
      AND (i.grid_code IN (SELECT a.grid_code FROM grid_assignments a WHERE a.user_id = ins.reporter_id)
           OR i.reporter_id = ins.reporter_id)
      AND ST_DWithin(i.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, 50)
    ORDER BY 2, 1 LIMIT 20) d ON true
ORDER BY d.distance, d.id
"""

same_work = Flask("same_work")


@same_work.post("/api/v1/incidents")
def create_incident_by_hand():
    """The product's request (bearer token; category_code, description, lon, lat) served by
    :data:`SAME_WORK_SQL` with the least checking: 401 without a live token, 400 for a body that
    is not an object of the four members, 403/422 when nothing was inserted."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    b = request.get_json(silent=True)
    if scheme.lower() != "bearer" or not token:
        return jsonify(error="unauthenticated"), 401
    if not isinstance(b, dict) or not isinstance(b.get("category_code"), str) \
            or not isinstance(b.get("description"), str) or not b["description"].strip():
        return jsonify(error="invalid"), 400
    try:
        lon, lat = float(b["lon"]), float(b["lat"])
    except (KeyError, TypeError, ValueError):
        return jsonify(error="invalid_point"), 400
    conn = _conn()
    rows = conn.execute(SAME_WORK_SQL, {"digest": hashlib.sha256(token.encode()).hexdigest(), "lon": lon,
                                        "lat": lat, "category": b["category_code"],
                                        "description": b["description"].strip()}).fetchall()
    conn.commit()
    if not rows:
        return jsonify(error="not_inserted"), 422
    first = rows[0]
    return jsonify(id=first[0], grid_code=first[1], community_code=first[2], status=first[3],
                   reported_at=first[4].isoformat(),
                   possible_duplicates=[{"id": r[5], "distance_m": round(r[6], 1), "status": r[7],
                                         "reported_at": r[8].isoformat()} for r in rows if r[5] is not None]), 201
