"""Derived demo boundaries on the REAL 王益区 data (the copies in geodata/wangyi, with their provenance).

Hard requirements: valid non-empty 2-D MultiPolygons; units tile their township and townships tile
the outline; every real point (and every township seat) is covered by its unit (township);
deterministic; plausible. Plus: the 20 communities cut into 261 grids tile each community.
"""
from __future__ import annotations

import csv
import json
import math
import statistics
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape

from gridapp.geo import (
    LocalProjection,
    UnitSeed,
    allocate,
    area_m2,
    derive_seeds,
    derive_units,
    generate_grids,
    grid_code,
    number_grids,
    tiling_errors,
    to_metric,
)

DATA = Path(__file__).resolve().parents[2] / "geodata" / "wangyi"
HUANGBAO = "610202100"


@pytest.fixture(scope="module")
def real():
    """(outline, townships, units) read from the real files."""
    outline = shape(json.loads((DATA / "wangyi_district.geojson").read_text())["features"][0]["geometry"])
    points = {f["properties"]["code"]: Point(f["geometry"]["coordinates"])
              for f in json.loads((DATA / "wangyi_unit_points.geojson").read_text())["features"]}
    with open(DATA / "wangyi_divisions.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    townships = [UnitSeed(r["code"], r["parent_code"], None, points.get(r["code"]))
                 for r in rows if r["level"] == "township"]
    units = [UnitSeed(r["code"], r["parent_code"], r["ur_code_2016"] or None, points.get(r["code"]))
             for r in rows if r["level"] == "village"]
    assert (len(townships), len(units)) == (7, 46)
    assert sum(t.point is not None for t in townships) == 5
    assert sum(u.point is not None for u in units) == 12
    return outline, townships, units


@pytest.fixture(scope="module")
def derived(real):
    return derive_units(*real)


def children(units, town_code):
    return [u for u in units if u.parent_code == town_code]


def test_every_unit_gets_a_valid_2d_multipolygon(real, derived):
    _, townships, units = real
    assert set(derived) == {s.code for s in (*townships, *units)}
    for geom in derived.values():
        assert isinstance(geom, MultiPolygon)
        assert geom.is_valid and not geom.is_empty and not geom.has_z


def test_units_tile_their_township(real, derived):
    _, townships, units = real
    for town in townships:
        parts = [derived[u.code] for u in children(units, town.code)]
        err = tiling_errors(parts, derived[town.code])
        assert err.overlap_m2 + err.gap_m2 + err.excess_m2 <= 1e-9 * err.whole_m2, town.code
        total = sum(area_m2(p) for p in parts)
        assert total == pytest.approx(area_m2(derived[town.code]), rel=1e-9)


def test_townships_tile_the_outline(real, derived):
    outline, townships, _ = real
    parts = [derived[t.code] for t in townships]
    err = tiling_errors(parts, outline)
    assert err.overlap_m2 + err.gap_m2 + err.excess_m2 <= 1e-9 * err.whole_m2
    assert sum(area_m2(p) for p in parts) == pytest.approx(area_m2(outline), rel=1e-9)
    assert area_m2(outline) / 1e6 == pytest.approx(155.2, abs=0.1)


def test_real_points_and_seats_are_covered(real, derived):
    _, townships, units = real
    for seed in (*townships, *units):
        if seed.point is not None:
            assert derived[seed.code].covers(seed.point), seed.code


def test_deterministic(real, derived):
    again = derive_units(*real)
    assert list(again) == list(derived)
    assert all(again[c].wkb == derived[c].wkb for c in derived)


def test_seeds_are_inside_the_outline_and_real_points_are_kept(real):
    outline, _, units = real
    seeds = derive_seeds(*real)
    assert set(seeds) == {u.code for u in units}
    assert all(outline.covers(p) for p in seeds.values())
    assert all(seeds[u.code].equals(u.point) for u in units if u.point is not None)


def test_townships_are_contiguous(real, derived):
    _, townships, _ = real
    assert {t.code: len(derived[t.code].geoms) for t in townships} == {t.code: 1 for t in townships}


def test_urban_units_small_and_near_their_township_villages_large(real, derived):
    outline, townships, units = real
    area = {u.code: area_m2(derived[u.code]) for u in units}
    urban = [area[u.code] for u in units if u.ur_code in ("111", "112")]
    villages = [area[u.code] for u in units if u.ur_code == "220"]
    assert statistics.median(villages) > 3 * statistics.median(urban)
    seeds, proj = derive_seeds(*real), LocalProjection.around(outline)
    for u in units:
        if u.ur_code in ("111", "112") and u.point is None:  # synthetic urban seed: near its township
            town = next(t for t in townships if t.code == u.parent_code)
            known = [v.point for v in children(units, town.code) if v.point is not None]
            known += [town.point] if town.point is not None else []
            seed = proj.to_metric(seeds[u.code])
            assert min(seed.distance(proj.to_metric(p)) for p in known) < 2000, u.code


def test_huangbao_is_the_southern_town_around_its_seat(real, derived):
    outline, townships, _ = real
    south = derived[HUANGBAO]
    assert all(south.centroid.y < derived[t.code].centroid.y for t in townships if t.code != HUANGBAO)
    lowest = min(shapely.get_coordinates(outline), key=lambda xy: (xy[1], xy[0]))
    assert south.covers(Point(lowest))
    assert area_m2(south) == max(area_m2(derived[t.code]) for t in townships)


def test_261_grids_over_the_20_communities(real, derived):
    _, _, units = real
    communities = [u.code for u in units if int(u.code[-3:]) < 200]  # 居委会: 001–199
    assert len(communities) == 20
    counts = allocate(261, {c: area_m2(derived[c]) for c in communities}, minimum=1)
    assert sum(counts.values()) == 261 and min(counts.values()) >= 1
    codes = []
    for code in communities:
        community = derived[code]
        cells = generate_grids(community, counts[code])
        assert len(cells) == counts[code]
        assert all(isinstance(c, Polygon) and c.is_valid and not c.is_empty for c in cells)
        err = tiling_errors(cells, community)
        assert err.overlap_m2 + err.gap_m2 + err.excess_m2 <= 1e-9 * err.whole_m2, code
        assert shapely.coverage_is_valid(np.array(cells, dtype=object)), code
        areas = np.array([area_m2(c) for c in cells])
        assert areas.max() < 3 * areas.mean() and areas.min() > areas.mean() / 3, code
        iso = [4 * math.pi * m.area / m.length ** 2 for m in (to_metric(c) for c in cells)]
        assert min(iso) > 0.35, code
        codes += [grid_code(code, seq) for seq, _ in enumerate(number_grids(cells), start=1)]
    assert len(set(codes)) == 261 and all(len(c) == 15 for c in codes)


def test_a_real_community_is_cut_deterministically(derived):
    community = derived["610202003001"]  # 新川社区, the largest urban community
    first, second = generate_grids(community, 12), generate_grids(community, 12)
    assert [c.wkb for c in first] == [c.wkb for c in second]


# --------------------------------------------------------------------------- small synthetic cases
SQUARE = shapely.box(109.0, 35.0, 109.1, 35.1)  # about 9 km × 11 km


def synthetic_case():
    townships = [UnitSeed("610202001", "610202", None, Point(109.03, 35.05)),
                 UnitSeed("610202100", "610202", None, None)]
    units = [UnitSeed("610202001001", "610202001", "111", Point(109.031, 35.051)),
             UnitSeed("610202001002", "610202001", "112", None),
             UnitSeed("610202001200", "610202001", "220", None),
             UnitSeed("610202100001", "610202100", "121", Point(109.07, 35.02)),
             UnitSeed("610202100200", "610202100", "220", None),
             UnitSeed("610202100201", "610202100", "220", None)]
    return townships, units


def test_derive_units_on_a_synthetic_square():
    townships, units = synthetic_case()
    result = derive_units(SQUARE, townships, units)
    assert list(result) == sorted(t.code for t in townships) + sorted(u.code for u in units)
    err = tiling_errors([result[t.code] for t in townships], SQUARE)
    assert err.overlap_m2 + err.gap_m2 + err.excess_m2 <= 1e-9 * err.whole_m2
    assert result["610202001"].covers(Point(109.03, 35.05))  # the seat, 130 m from the real point
    assert result["610202001002"].covers(Point(109.03, 35.05))  # ... held by the most urban free unit
    assert result["610202100001"].covers(Point(109.07, 35.02))


@pytest.mark.parametrize("change", ["outside", "orphan", "duplicate", "empty_town", "bad_outline"])
def test_derive_units_errors(change):
    townships, units = synthetic_case()
    outline = SQUARE
    if change == "outside":
        units[0] = UnitSeed("610202001001", "610202001", "111", Point(110.0, 35.05))
    elif change == "orphan":
        units.append(UnitSeed("610202009001", "610202009", "111", None))
    elif change == "duplicate":
        units.append(units[1])
    elif change == "empty_town":
        townships.append(UnitSeed("610202002", "610202", None, None))
    else:
        outline = shapely.Polygon()
    with pytest.raises(ValueError):
        derive_units(outline, townships, units)
