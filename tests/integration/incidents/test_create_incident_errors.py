"""POST /api/v1/incidents with several faults at once: the error reported is always the first in
the order category → description → coordinates → district → scope (the category, location and
scope checks share one round trip; the answer must not depend on that), and nothing is written."""
from __future__ import annotations

import pytest
from shapely.geometry import shape

OTHER_GRID = "610202002010002"  # demo: not assigned to the demo worker (610202002010001)
OUTSIDE = (116.39, 39.9)  # Beijing: outside the demo district


@pytest.mark.parametrize("fields,status,code", [
    ({"category_code": "9999", "description": " "}, 400, "invalid_category"),
    ({"category_code": "01", "lon": "east"}, 400, "invalid_category"),
    ({"category_code": "9999", "at": "outside"}, 400, "invalid_category"),
    ({"category_code": "9999", "at": "other_grid"}, 400, "invalid_category"),
    ({"description": "", "at": "outside"}, 400, "invalid_description"),
    ({"lon": None, "at": "other_grid"}, 400, "invalid_coordinates"),
    ({"at": "outside"}, 422, "outside_district"),
    ({"at": "other_grid", "photos": "not-a-list"}, 403, "outside_scope"),
])
def test_first_fault_wins_and_nothing_is_written(client, bearer, tx, fields, status, code):
    from gridapp.models import Incident, IncidentEvent

    fc = client.get(f"/api/v1/grids?community_code={OTHER_GRID[:12]}", headers=bearer("district")).get_json()
    pt = next(shape(f["geometry"]) for f in fc["features"]
              if f["properties"]["code"] == OTHER_GRID).representative_point()
    lon, lat = {"outside": OUTSIDE, "other_grid": (pt.x, pt.y)}[fields.pop("at", "other_grid")]
    body = {"category_code": "0102", "description": "测试（虚构）", "lon": lon, "lat": lat, **fields}
    body = {k: v for k, v in body.items() if v is not None}
    before = (tx.query(Incident).count(), tx.query(IncidentEvent).count())
    resp = client.post("/api/v1/incidents", headers=bearer("worker"), json=body)
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code
    assert (tx.query(Incident).count(), tx.query(IncidentEvent).count()) == before
