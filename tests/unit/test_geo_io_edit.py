"""Pure tests of gridapp.geo.io (readers, CRS, GCJ-02), gridapp.geo.validate and gridapp.geo.edit."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, box

from gridapp.geo import area_m2, edit, gcj02, io, tables
from gridapp.geo.shapes import round_coverage
from gridapp.geo.validate import check_geometry, fit_children


def test_gcj02_round_trip_and_offset():
    wgs = np.array([[109.07, 35.07], [116.397, 39.909]])
    gcj = gcj02.wgs84_to_gcj02_xy(wgs)
    offset_m = np.hypot(*(gcj - wgs).T * [111_000 * np.cos(np.radians(35)), 111_000])
    assert (offset_m > 100).all() and (offset_m < 1000).all()  # GCJ-02 shifts by a few hundred metres
    assert np.allclose(gcj02.gcj02_to_wgs84_xy(gcj), wgs, atol=1e-9)
    boston = np.array([[-71.07, 42.35]])
    assert np.array_equal(gcj02.wgs84_to_gcj02_xy(boston), boston)  # no offset outside China


def test_coordinate_columns_in_any_order():
    assert tables.coordinate_columns(["描述", "纬度", "经度"]) == (2, 1)
    assert tables.coordinate_columns(["Latitude", "Longitude"]) == (1, 0)
    assert tables.coordinate_columns(["y", "x", "lon"]) == (2, 0)
    with pytest.raises(io.ReadError, match="no coordinate columns"):
        tables.coordinate_columns(["a", "b"])


def test_read_table_decodes_gbk_and_bom():
    header, rows = tables.read_table("经度,纬度\n109.07,35.07\n".encode("gbk"), "t.csv")
    assert header == ["经度", "纬度"] and rows == [["109.07", "35.07"]]
    header, _ = tables.read_table("\ufefflon,lat\n1,2\n".encode(), "t.csv")
    assert header == ["lon", "lat"]


def test_unknown_format_and_bad_json():
    with pytest.raises(io.ReadError, match="unknown file format"):
        io.read_features(b"hello", "x.txt")
    with pytest.raises(io.ReadError, match="invalid JSON"):
        io.read_features(b"{", "x.geojson")


def test_check_geometry_repairs_a_bowtie():
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    assert check_geometry(bowtie, repair=False)[2].startswith("invalid geometry: Self-intersection")
    geom, fixes, error = check_geometry(bowtie, repair=True)
    assert error is None and len(geom.geoms) == 2 and "made valid" in fixes[0]


def test_fit_children_snaps_a_sliver_gap_and_refuses_a_wide_one():
    parent = box(109.0, 35.0, 109.02, 35.01)
    left = MultiPolygon([box(109.0, 35.0, 109.00999, 35.01)])  # a gap of 1e-5° ≈ 0.9 m to the right one
    right = MultiPolygon([box(109.01, 35.0, 109.02, 35.01)])
    strict = fit_children(parent, {0: left, 1: right})
    assert len(strict.gaps) == 1 and "gap of" in strict.gaps[0]
    fixed = fit_children(parent, {0: left, 1: right}, repair=True, tol_m=2)
    assert not fixed.gaps and not fixed.errors and any("filled a gap" in f for f in fixed.fixes[0])
    assert shapely.union_all(list(fixed.geoms.values())).equals(parent)
    wide = fit_children(parent, {0: MultiPolygon([box(109.0, 35.0, 109.009, 35.01)]), 1: right}, repair=True, tol_m=2)
    assert wide.gaps and not wide.fixes


def test_split_merge_and_move_edge_keep_the_area():
    grid = box(109.0, 35.0, 109.01, 35.01)
    four = edit.split_in_four(grid)
    assert len(four) == 4 and sum(area_m2(p) for p in four) == pytest.approx(area_m2(grid), rel=1e-9)
    two = edit.split_along(grid, LineString([(108.99, 35.005), (109.02, 35.006)]))
    assert len(two) == 2 and shapely.union_all(two).equals(grid)
    with pytest.raises(ValueError, match="exactly 2 parts"):
        edit.split_along(grid, LineString([(0, 0), (1, 1)]))
    a, b = box(109.0, 35.0, 109.01, 35.01), box(109.01, 35.0, 109.02, 35.01)
    new_a, new_b = edit.move_edge(a, b, LineString([(109.012, 34.99), (109.012, 35.02)]))
    assert new_a.area > a.area and new_b.area < b.area and shapely.union_all([new_a, new_b]).equals(box(
        109.0, 35.0, 109.02, 35.01))
    assert edit.merge([a, b]).equals(box(109.0, 35.0, 109.02, 35.01))
    with pytest.raises(ValueError, match="not adjacent"):
        edit.merge([a, box(109.05, 35.0, 109.06, 35.01)])


def test_round_coverage_keeps_t_junctions_closed():
    left = shapely.Polygon([(0, 0), (0.1234567, 0), (0.1234567, 0.3333333), (0.1234567, 1), (0, 1)])
    right = box(0.1234567, 0, 1, 1)  # no vertex at the junction point (0.1234567, 0.3333333)
    rounded = round_coverage([left, right])
    assert shapely.coverage_is_valid(rounded) and all(shapely.LinearRing(p.geoms[0].exterior).is_ccw for p in rounded)
    assert shapely.area(shapely.intersection(rounded[0], rounded[1])) == 0
