"""Possible duplicates within and beyond 50 m (geodesic), within and beyond 7 days; merging."""
from __future__ import annotations

from datetime import timedelta

import pytest
from caseutil import GRID, grid_point, make_case
from sqlalchemy import func, select

from gridapp.analytics import facts
from gridapp.core import clock
from gridapp.errors import BadInput, Forbidden
from gridapp.incidents import duplicates, workflow
from gridapp.models import GridAssignment, Incident, User

M_PER_DEG_LAT = 111_320.0  # metres per degree of latitude (approximate; exact distances are asserted below)


def _at(tx, reporter, north_m: float, **kw):
    lon, lat = grid_point()
    incident = make_case(reporter, **kw)
    incident.geom = func.ST_SetSRID(func.ST_MakePoint(lon, lat + north_m / M_PER_DEG_LAT), 4326)
    tx.flush()
    return incident


@pytest.fixture
def people(tx):
    sec = User(username="d-sec", display_name="书记", role="secretary", scope_code=GRID[:12], password_hash="!")
    worker = User(username="d-worker", display_name="网格员", role="worker", password_hash="!")
    worker.assignments = [GridAssignment(grid_code=GRID)]
    tx.add_all([sec, worker])
    tx.commit()
    return sec, worker


def test_candidates_within_50_m_and_7_days_only(tx, people):
    sec, worker = people
    now = clock.utcnow()
    near = _at(tx, worker, 45, reported_at=now - timedelta(days=1))
    far = _at(tx, worker, 56, reported_at=now - timedelta(days=1))
    old = _at(tx, worker, 10, reported_at=now - timedelta(days=8))
    other_kind = _at(tx, worker, 5, category="0101", reported_at=now - timedelta(hours=2))
    closed = _at(tx, worker, 5, status="closed", reported_at=now - timedelta(hours=2))
    tx.commit()
    lon, lat = grid_point()
    found = duplicates.candidates(sec, "0102", lon, lat, now=now)
    ids = [i.id for i, _d in found]
    assert near.id in ids and far.id not in ids and old.id not in ids
    assert other_kind.id not in ids and closed.id not in ids
    # the distances are geodesic metres computed by PostGIS
    dist = dict((i.id, d) for i, d in found)
    assert 44 < dist[near.id] < 46
    far_d = tx.scalar(select(func.ST_Distance(func.Geography(Incident.geom),
                                              func.Geography(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326))))
                      .where(Incident.id == far.id))
    assert 50 < far_d < 60


def test_report_offers_duplicates_and_secretary_merges(client, tx, bearer, people):
    sec, worker = people
    first = _at(tx, worker, 20, reported_at=clock.utcnow() - timedelta(hours=3))
    tx.commit()
    lon, lat = grid_point()
    resp = client.post("/api/v1/incidents", json={"category_code": "0102", "description": "垃圾堆积（虚构）",
                                                  "lon": lon, "lat": lat}, headers=bearer("worker"))
    assert resp.status_code == 201
    body = resp.get_json()
    assert [d["id"] for d in body["possible_duplicates"]] == [first.id]
    api = client.get(f"/api/v1/incidents/duplicates?category_code=0102&lon={lon}&lat={lat}",
                     headers=bearer("hongqi")).get_json()
    assert {c["id"] for c in api["candidates"]} == {first.id, body["id"]}
    with pytest.raises(Forbidden):
        workflow.perform(worker, body["id"], "merge", {"into": first.id})
    tx.rollback()
    with pytest.raises(BadInput):
        workflow.perform(sec, body["id"], "merge", {"into": body["id"]})
    tx.rollback()
    merged = workflow.perform(sec, body["id"], "merge", {"into": first.id})
    assert merged.status == "merged" and merged.duplicate_of_id == first.id
    counts = facts.compute(sec, "grid", GRID)["counts"]
    assert tx.scalar(select(func.count()).select_from(Incident).where(
        Incident.grid_code == GRID, Incident.status != "merged")) == counts["reported"]
