"""Coverage check: the demo district is tiled (only its villages are ungridded); a broken grid
shows up as a gap, an overlap and a part outside its community; access by scope."""
from __future__ import annotations

from geoalchemy2.shape import from_shape, to_shape
from shapely import affinity

from gridapp.models import Grid


def test_demo_district_has_only_ungridded_villages(client, bearer):
    resp = client.get("/api/v1/coverage-check?code=610202", headers=bearer("district"))
    body = resp.get_json()
    assert resp.status_code == 200
    assert (body["communities"], body["gridded"]) == (46, 20)
    assert body["problems"] == {"gap": 0, "overlap": 0, "outside": 0, "ungridded": 26}
    kinds = {f["properties"]["unit_type"] for f in body["features"]["features"]}
    assert kinds == {"村委会"}


def test_a_shifted_grid_gives_a_gap_an_overlap_and_a_part_outside(client, bearer, tx):
    grid = tx.get(Grid, "610202002010001")
    grid.geom = from_shape(affinity.translate(to_shape(grid.geom), xoff=2e-4), srid=4326)  # ≈ 18 m east
    tx.commit()
    body = client.get("/api/v1/coverage-check?code=610202002010", headers=bearer("admin")).get_json()
    assert body["problems"]["gap"] == 1 and body["problems"]["overlap"] >= 1
    assert {f["properties"]["grid_a"] for f in body["features"]["features"]
            if f["properties"]["kind"] == "overlap"} >= {"610202002010001"}
    assert all(f["properties"]["area_m2"] > 1 for f in body["features"]["features"])


def test_coverage_by_scope(client, bearer, make_user, tx):
    assert client.get("/api/v1/coverage-check?code=610202", headers=bearer("hongqi")).status_code == 403
    assert client.get("/api/v1/coverage-check", headers=bearer("hongqi")).get_json()["code"] == "610202002010"
    assert client.get("/api/v1/coverage-check", headers=bearer("worker")).status_code == 403
    assert client.get("/api/v1/coverage-check?code=999999", headers=bearer("admin")).status_code == 404


def test_coverage_page(client, login):
    login("hongqijie")
    page = client.get("/coverage-check")
    assert page.status_code == 200 and 'id="problems"' in page.text and "gridappCoverageCheck" in page.text
    assert "coverage_check.js" in page.text
