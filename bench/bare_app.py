"""The baseline of bench/create.py: a bare Flask + psycopg app whose ``POST /api/v1/incidents`` does
only the INSERT (no authentication, validation, location or history). Not part of the product.

    DATABASE_URL=... gunicorn bench.bare_app:app
"""
from __future__ import annotations

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
