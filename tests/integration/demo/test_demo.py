"""The demo district as loaded in PostGIS: real hierarchy, derived polygons that tile, 261 grids,
idempotent loading, and agreement of the PostGIS and shapely location paths."""
from __future__ import annotations

import pytest
from geoalchemy2 import functions as gf
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from gridapp import geo
from gridapp.boundaries.locate import locate
from gridapp.demo import load_demo
from gridapp.models import AdminArea, Grid, IncidentCategory


def _areas(tx, level):
    return {a.code: a for a in tx.scalars(select(AdminArea).where(AdminArea.level == level))}


def _area(tx, geom_col, where):
    """Planar area in the SRID 4326 plane (deg²): tiling is a planar property. (Geodesic areas of
    a long edge and of the same edge split in pieces differ by tens of m².)"""
    return tx.scalar(select(func.sum(gf.ST_Area(geom_col))).where(where))


def test_hierarchy_counts_and_sources(tx):
    townships, units = _areas(tx, "township"), _areas(tx, "community")
    assert len(townships) == 7 and len(units) == 46
    assert {a.boundary_source for a in [*townships.values(), *units.values()]} == {"derived"}
    assert all(tx.scalar(select(func.ST_IsValid(a.geom))) for a in [*townships.values(), *units.values()])
    assert units["610202100213"].official_name == "屽村委会" and units["610202100213"].ur_code == "220"


@pytest.mark.parametrize("level,parent_level", [("township", "district"), ("community", "township")])
def test_children_tile_their_parent(tx, level, parent_level):
    for parent in _areas(tx, parent_level).values():
        children = AdminArea.parent_code == parent.code
        parent_area = _area(tx, AdminArea.geom, AdminArea.code == parent.code)
        assert _area(tx, AdminArea.geom, children) == pytest.approx(parent_area, rel=1e-9)
        union = tx.scalar(select(gf.ST_Union(AdminArea.geom)).where(children))
        sym = tx.scalar(select(gf.ST_Area(gf.ST_SymDifference(union, parent.geom))))
        assert sym < 1e-9 * parent_area


def test_grids_tile_each_community_and_villages_have_none(tx):
    counts = dict(tx.execute(select(Grid.community_code, func.count()).group_by(Grid.community_code)).all())
    assert sum(counts.values()) == 261 and len(counts) == 20
    units = _areas(tx, "community")
    assert all(units[c].unit_type == "居委会" for c in counts)
    for code in counts:
        grid_area = _area(tx, Grid.geom, Grid.community_code == code)
        assert grid_area == pytest.approx(_area(tx, AdminArea.geom, AdminArea.code == code), rel=1e-9)


def test_no_two_grids_overlap(tx):
    a, b = Grid.__table__.alias("a"), Grid.__table__.alias("b")
    overlap = tx.scalar(
        select(func.coalesce(func.sum(gf.ST_Area(gf.ST_Intersection(a.c.geom, b.c.geom))), 0))
        .select_from(a).join(b, (a.c.code < b.c.code) & gf.ST_Intersects(a.c.geom, b.c.geom)))
    assert overlap < 1e-15  # deg² over the whole district (1e-15 deg² ≈ 0.00001 m²)


def test_grid_codes_and_numbering(tx):
    grids = list(tx.scalars(select(Grid).where(Grid.community_code == "610202002010").order_by(Grid.code)))
    assert [g.code[-3:] for g in grids] == [f"{i:03d}" for i in range(1, len(grids) + 1)]
    assert grids[0].name == "红旗社区1号网格"
    cells = [to_shape(g.geom) for g in grids]
    assert geo.number_grids(cells) == list(range(len(cells)))


def test_categories(tx):
    codes = set(tx.scalars(select(IncidentCategory.code)))
    assert {"0101", "0599", "06", "51", "58"} <= codes
    assert tx.get(IncidentCategory, "0102").parent_code == "01"
    assert tx.get(IncidentCategory, "51").kind == "social"


def test_load_demo_is_idempotent(tx):
    before = (tx.scalar(select(func.count()).select_from(AdminArea)),
              tx.scalar(select(func.count()).select_from(Grid)))
    counts = load_demo("another-password-2", log=lambda m: None)
    assert (counts["areas"], counts["grids"]) == (54, 261)
    assert before == (tx.scalar(select(func.count()).select_from(AdminArea)),
                      tx.scalar(select(func.count()).select_from(Grid)))


def test_postgis_and_shapely_paths_agree_on_grid_vertices_and_interiors(tx):
    communities = [(a.code, to_shape(a.geom)) for a in _areas(tx, "community").values()]
    grids = [(g.code, to_shape(g.geom)) for g in tx.scalars(select(Grid))]
    samples = []
    for _code, geom in grids[::7]:
        samples.append(geom.representative_point())
        samples.extend(Point(c) for c in list(geom.geoms[0].exterior.coords)[:6])
    assert len(samples) > 200
    for pt in samples:
        loc = locate(pt.x, pt.y)
        community = geo.locate_in(pt, communities)
        grid = geo.nearest_in(pt, [(c, g) for c, g in grids if c.startswith(community)])
        assert (loc.community_code, loc.grid_code) == (community, grid), pt.wkt
