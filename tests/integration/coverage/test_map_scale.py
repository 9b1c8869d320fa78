"""The map at city scale (issue 9): vector tiles of grids scoped by user, incident clusters whose
counts add up to the incidents in scope, and the map pages switching to them above a threshold."""
from __future__ import annotations

import pytest
from caseutil import COMMUNITY, GRID, OTHER_COMMUNITY, make_case
from sqlalchemy import func, select

from gridapp.models import Grid, Incident, User

# tile 12/3288/1621 (Web Mercator XYZ) holds 红旗社区 of the demo district
TILE = "12/3288/1621"
BBOX = "108.8,34.8,109.4,35.4"


def _other_grid_in_tile(tx) -> str:
    """A grid of another community that lies in TILE."""
    env = func.ST_Transform(func.ST_TileEnvelope(12, 3288, 1621), 4326)
    return tx.scalar(select(Grid.code).where(Grid.community_code == OTHER_COMMUNITY,
                                             func.ST_Intersects(Grid.geom, env)).limit(1))


def test_tiles_hold_the_grids_of_the_callers_scope_only(client, bearer, tx):
    other = _other_grid_in_tile(tx)
    assert other is not None
    district = client.get(f"/api/v1/tiles/grids/{TILE}.pbf", headers=bearer("district"))
    assert district.status_code == 200 and district.mimetype == "application/vnd.mapbox-vector-tile"
    assert b"grids" in district.data and GRID.encode() in district.data and other.encode() in district.data
    worker = client.get(f"/api/v1/tiles/grids/{TILE}.pbf", headers=bearer("worker"))
    assert GRID.encode() in worker.data and other.encode() not in worker.data
    secretary = client.get(f"/api/v1/tiles/coverage/{TILE}.pbf", headers=bearer("hongqi"))
    assert b"coverage" in secretary.data and GRID.encode() in secretary.data
    assert other.encode() not in secretary.data
    assert b"covered" in secretary.data or b"no_worker" in secretary.data
    # a tile far from every grid is empty, not an error
    assert client.get("/api/v1/tiles/grids/12/0/0.pbf", headers=bearer("district")).data == b""


def test_community_tiles_and_grid_zoom_floor(client, bearer):
    district = client.get(f"/api/v1/tiles/communities/{TILE}.pbf", headers=bearer("district")).data
    assert b"communities" in district and COMMUNITY.encode() in district and OTHER_COMMUNITY.encode() in district
    secretary = client.get(f"/api/v1/tiles/communities/{TILE}.pbf", headers=bearer("hongqi")).data
    assert COMMUNITY.encode() in secretary and OTHER_COMMUNITY.encode() not in secretary
    # below the grid zoom floor the grid layers are empty; the communities are still drawn
    assert client.get("/api/v1/tiles/grids/8/205/101.pbf", headers=bearer("district")).data == b""
    assert COMMUNITY.encode() in client.get("/api/v1/tiles/communities/8/205/101.pbf",
                                            headers=bearer("district")).data


def test_areas_precision_rounds_coordinates(client, bearer):
    headers = bearer("district")
    full = client.get("/api/v1/areas?level=township", headers=headers).get_json()
    rounded = client.get("/api/v1/areas?level=township&precision=6", headers=headers).get_json()
    assert [f["id"] for f in full["features"]] == [f["id"] for f in rounded["features"]]
    ring = rounded["features"][0]["geometry"]["coordinates"][0][0]
    assert all(round(v, 6) == v for v in ring[0]) and len(str(rounded)) < len(str(full))
    assert client.get("/api/v1/areas?precision=x", headers=headers).status_code == 400
    assert client.get("/api/v1/areas?precision=16", headers=headers).status_code == 400


def test_coverage_tile_status_is_the_coverage_layer_status(client, bearer):
    headers = bearer("hongqi")
    statuses = {f["properties"]["status"] for f in client.get("/api/v1/coverage/grids", headers=headers)
                .get_json()["features"]}
    tile = client.get(f"/api/v1/tiles/coverage/{TILE}.pbf", headers=headers).data
    assert {s for s in ("no_worker", "worker_no_group", "covered") if s.encode() in tile} == statuses


def test_bad_tiles_and_bboxes_are_400(client, bearer):
    headers = bearer("district")
    assert client.get(f"/api/v1/tiles/roads/{TILE}.pbf", headers=headers).get_json()["error"]["code"] == "invalid_layer"
    assert client.get("/api/v1/tiles/grids/3/8/0.pbf", headers=headers).get_json()["error"]["code"] == "invalid_tile"
    for query in ("zoom=12", "bbox=1,2,3&zoom=12", f"bbox={BBOX}&zoom=x", "bbox=109,35,108,36&zoom=3"):
        resp = client.get(f"/api/v1/incidents/clusters?{query}", headers=headers)
        assert resp.status_code == 400, query


def test_cluster_counts_add_up_to_the_incidents_in_scope(client, bearer, tx):
    reporter = tx.scalar(select(User).where(User.username == "district"))
    for grid in (GRID, GRID, f"{OTHER_COMMUNITY}001"):
        make_case(reporter, grid=grid)
    tx.commit()
    for user, where in (("district", Incident.district_code == "610202"),
                        ("hongqi", Incident.community_code == COMMUNITY)):
        expected = tx.scalar(select(func.count()).select_from(Incident).where(
            where, func.ST_Intersects(Incident.geom, func.ST_MakeEnvelope(108.8, 34.8, 109.4, 35.4, 4326))))
        for zoom in (8, 13, 18):
            body = client.get(f"/api/v1/incidents/clusters?bbox={BBOX}&zoom={zoom}", headers=bearer(user)).get_json()
            assert sum(f["properties"]["count"] for f in body["features"]) == body["numberMatched"] == expected
        assert expected >= (3 if user == "district" else 2)
    listed = client.get(f"/api/v1/incidents?bbox={BBOX}&community={COMMUNITY}", headers=bearer("district")).get_json()
    assert listed["numberMatched"] >= 2
    assert client.get("/api/v1/incidents?bbox=0,0,1,1", headers=bearer("district")).get_json()["numberMatched"] == 0


def test_map_page_switches_to_tiles_above_the_threshold(app, client, login):
    login("district")
    assert "leaflet.vectorgrid" not in client.get("/map").text          # 261 grids: GeoJSON as before
    default, app.config["MAP_TILE_MIN_GRIDS"] = app.config["MAP_TILE_MIN_GRIDS"], 1
    try:
        page = client.get("/map").text
    finally:
        app.config["MAP_TILE_MIN_GRIDS"] = default
    assert "Leaflet.VectorGrid.bundled.min.js" in page and "/api/v1/tiles/coverage/{z}/{x}/{y}.pbf" in page


def test_tile_layers_ask_only_for_tiles_inside_their_features_extent(app, client, login, tx):
    from gridapp.boundaries import areas
    from gridapp.models import AdminArea, GridAssignment

    worker = tx.scalar(select(User).where(User.username == "worker"))
    own = select(Grid.community_code).join(GridAssignment, GridAssignment.grid_code == Grid.code).where(
        GridAssignment.user_id == worker.id)
    ext = func.ST_Extent(AdminArea.geom)
    expected = tx.execute(select(func.ST_XMin(ext), func.ST_YMin(ext), func.ST_XMax(ext), func.ST_YMax(ext))
                          .where(AdminArea.code.in_(own))).one()
    units, grids = areas.units_bounds(worker), areas.scope_bounds(worker)
    assert units == pytest.approx(tuple(expected))
    # a worker's communities reach beyond their grids: the communities layer gets its own extent
    assert units[0] <= grids[0] and units[1] <= grids[1] and units[2] >= grids[2] and units[3] >= grids[3]
    assert units != pytest.approx(grids)
    login("district")
    default, app.config["MAP_TILE_MIN_GRIDS"] = app.config["MAP_TILE_MIN_GRIDS"], 1
    try:
        page = client.get("/map").text
    finally:
        app.config["MAP_TILE_MIN_GRIDS"] = default
    district = tx.scalar(select(User).where(User.username == "district"))
    assert '"unit_bounds": [' in page and '"bounds": [' in page
    assert areas.units_bounds(district) is not None
