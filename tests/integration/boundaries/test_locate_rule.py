"""The one point → grid rule on a small exact fixture: points inside, on edges, on a 4-grid
corner, on the district border and outside; the PostGIS path and the shapely path agree.

Fixture (coordinates exactly representable in binary): district 990100 = [100, 101] × [30, 30.5];
community 990100001001 = west half with 4 square grids (001 NW, 002 NE, 003 SW, 004 SE, numbered
west→east then north→south); village 990100001201 = east half, no grids.
"""
from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box

from gridapp import geo
from gridapp.models import AdminArea, Grid

DISTRICT, TOWNSHIP, COMMUNITY, VILLAGE = "990100", "990100001", "990100001001", "990100001201"
GRIDS = {
    COMMUNITY + "001": box(100.0, 30.25, 100.25, 30.5),
    COMMUNITY + "002": box(100.25, 30.25, 100.5, 30.5),
    COMMUNITY + "003": box(100.0, 30.0, 100.25, 30.25),
    COMMUNITY + "004": box(100.25, 30.0, 100.5, 30.25),
}
AREAS = {
    DISTRICT: ("district", None, box(100, 30, 101, 30.5), None),
    TOWNSHIP: ("township", DISTRICT, box(100, 30, 101, 30.5), "街道"),
    COMMUNITY: ("community", TOWNSHIP, box(100, 30, 100.5, 30.5), "居委会"),
    VILLAGE: ("community", TOWNSHIP, box(100.5, 30, 101, 30.5), "村委会"),
}


@pytest.fixture
def square_district(tx):
    for code, (level, parent, geom, unit_type) in AREAS.items():
        tx.add(AdminArea(code=code, name=f"测试{code}", official_name=f"测试{code}", level=level,
                         unit_type=unit_type, parent_code=parent, district_code=DISTRICT,
                         boundary_source="surveyed", geom=from_shape(MultiPolygon([geom]), 4326)))
        tx.flush()
    for code, geom in GRIDS.items():
        tx.add(Grid(code=code, name=code, community_code=COMMUNITY, district_code=DISTRICT,
                    geom=from_shape(MultiPolygon([geom]), 4326)))
    tx.commit()


def python_locate(lon: float, lat: float) -> dict | None:
    """The same rule with shapely only (gridapp.geo)."""
    pt = Point(lon, lat)
    community = geo.locate_in(pt, [(c, AREAS[c][2]) for c in (COMMUNITY, VILLAGE)])
    if community is None:
        return None
    grid = geo.nearest_in(pt, [(c, g) for c, g in GRIDS.items() if c.startswith(community)])
    return {"district_code": DISTRICT, "township_code": TOWNSHIP, "community_code": community,
            "grid_code": grid}


CASES = [
    # (lon, lat, expected community, expected grid)
    (100.125, 30.375, COMMUNITY, COMMUNITY + "001"),   # inside NW
    (100.375, 30.125, COMMUNITY, COMMUNITY + "004"),   # inside SE
    (100.25, 30.375, COMMUNITY, COMMUNITY + "001"),    # edge 001|002 → smaller code
    (100.25, 30.125, COMMUNITY, COMMUNITY + "003"),    # edge 003|004
    (100.125, 30.25, COMMUNITY, COMMUNITY + "001"),    # edge 001|003
    (100.25, 30.25, COMMUNITY, COMMUNITY + "001"),     # corner of all four grids
    (100.5, 30.375, COMMUNITY, COMMUNITY + "002"),     # community | village edge → community
    (100.0, 30.125, COMMUNITY, COMMUNITY + "003"),     # district border
    (100.0, 30.0, COMMUNITY, COMMUNITY + "003"),       # district corner
    (100.75, 30.25, VILLAGE, None),                    # inside the village: no grid
    (101.0, 30.5, VILLAGE, None),                      # district corner in the village
]


@pytest.mark.parametrize("lon,lat,community,grid", CASES)
def test_points_inside_on_edges_and_corners(client, bearer, square_district, lon, lat, community, grid):
    resp = client.get(f"/api/v1/locate?lon={lon}&lat={lat}", headers=bearer("admin"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body == {"district_code": DISTRICT, "township_code": TOWNSHIP,
                    "community_code": community, "grid_code": grid}
    assert python_locate(lon, lat) == body


@pytest.mark.parametrize("lon,lat", [(99.999, 30.25), (100.5, 30.5000001), (101.0000001, 30.0)])
def test_points_just_outside(client, bearer, square_district, lon, lat):
    assert client.get(f"/api/v1/locate?lon={lon}&lat={lat}", headers=bearer("admin")).status_code == 404
    assert python_locate(lon, lat) is None


def test_postgis_and_shapely_agree_on_a_lattice(client, bearer, square_district):
    headers = bearer("admin")
    steps = [100 + i / 16 for i in range(17)]
    for lon in steps:
        for lat in (30 + j / 32 for j in range(17)):
            body = client.get(f"/api/v1/locate?lon={lon}&lat={lat}", headers=headers).get_json()
            assert body == python_locate(lon, lat), (lon, lat)


def _import_points(client, headers, points) -> list[dict]:
    """Import the points as incidents (the bulk path: services.locate.locate_many) and return
    their location, in file order."""
    import io

    from sqlalchemy import select

    from gridapp.extensions import db
    from gridapp.models import Incident

    csv = "lon,lat,description\n" + "".join(f"{lon!r},{lat!r},测试事件（虚构）{i}\n"
                                           for i, (lon, lat) in enumerate(points))
    resp = client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data", data={
        "level": "incident", "mode": "commit", "category_code": "0101",
        "file": (io.BytesIO(csv.encode()), "points.csv")})
    assert resp.status_code == 200 and resp.get_json()["created"] == len(points), resp.get_json()
    rows = db.session.execute(select(Incident.community_code, Incident.grid_code, Incident.district_code)
                              .where(Incident.district_code == DISTRICT).order_by(Incident.id)).all()
    return [{"district_code": d, "township_code": TOWNSHIP, "community_code": c, "grid_code": g}
            for c, g, d in rows[-len(points):]]


def test_bulk_import_locates_like_the_rule(client, bearer, square_district, tx):
    """The set-based bulk path gives every point exactly what the one-point rule gives: edges,
    corners, borders, the ungridded village and a lattice."""
    headers = bearer("admin")
    points = [(lon, lat) for lon, lat, _c, _g in CASES]
    points += [(100 + i / 8, 30 + j / 16) for i in range(9) for j in range(9)]
    located = _import_points(client, headers, points)
    for (lon, lat), got in zip(points, located, strict=True):
        assert got == python_locate(lon, lat), (lon, lat)
    assert [g["grid_code"] for g in located[:len(CASES)]] == [g for *_x, g in CASES]


def test_bulk_import_falls_back_to_the_nearest_grid(client, bearer, square_district, tx):
    """A point of the community that no grid of it covers (here: grid 004 removed) gets the nearest
    grid, then the smallest code — as the one-point rule (GET /locate) says."""
    from sqlalchemy import delete

    tx.execute(delete(Grid).where(Grid.code == COMMUNITY + "004"))
    tx.commit()
    headers = bearer("admin")
    points = [(100.375, 30.125), (100.3, 30.05), (100.3, 30.22), (100.375, 30.25), (100.25, 30.0)]
    located = _import_points(client, headers, points)
    expected = [client.get(f"/api/v1/locate?lon={lon}&lat={lat}", headers=headers).get_json() for lon, lat in points]
    assert located == expected
    assert [g["grid_code"] for g in located] == [COMMUNITY + c for c in ("002", "003", "002", "002", "003")]


def test_bulk_import_resolves_seams_like_the_rule(client, bearer, square_district, tx):
    """Grid 002's outline stored 2**-20° inside the community's east edge (a floating-point seam):
    points in the seam, on the community | village edge and at the seam's corners get from the bulk
    path (shapely) what the one-point rule (PostGIS, GET /locate) gives them."""
    from sqlalchemy import update

    seam = 2 ** -20
    tx.execute(update(Grid).where(Grid.code == COMMUNITY + "002").values(
        geom=from_shape(MultiPolygon([box(100.25, 30.25, 100.5 - seam, 30.5)]), 4326)))
    tx.commit()
    headers = bearer("admin")
    points = [(100.5 - seam / 2, 30.375), (100.5, 30.375), (100.5 - seam, 30.375), (100.5 - seam / 4, 30.25),
              (100.5 - seam / 2, 30.5), (100.5, 30.25), (100.5 - seam / 2, 30.125), (100.5 + seam / 2, 30.4)]
    located = _import_points(client, headers, points)
    expected = [client.get(f"/api/v1/locate?lon={lon!r}&lat={lat!r}", headers=headers).get_json()
                for lon, lat in points]
    assert located == expected
    # seam, edge, 002's own edge → 002 (nearest / covering); on 004's north edge → 004 covers it
    assert [g["grid_code"] for g in located] == [COMMUNITY + c for c in ("002", "002", "002", "004", "002", "004",
                                                                         "004")] + [None]
