"""The boundary rules: levels and their NBS code lengths (no database)."""
from __future__ import annotations

from gridapp.boundaries import rules


def test_levels_and_code_lengths():
    assert rules.AREA_LEVELS == ("district", "township", "community")
    assert rules.EXPORT_LEVELS == rules.AREA_LEVELS + ("grid",)
    assert rules.IMPORT_LEVELS[-1] == "incident"
    assert [rules.CODE_LENGTH[level] for level in rules.EXPORT_LEVELS] == [6, 9, 12, 15]


def test_each_level_imports_under_the_level_above():
    assert rules.PARENT_LEVELS["community"] == ("township",) and rules.PARENT_LEVELS["district"] == ()
    assert "district" in rules.PARENT_LEVELS["grid"] and set(rules.GRID_EDITORS) == {"admin", "district"}


def test_import_modes_tolerances_and_the_grid_sequence():
    assert rules.IMPORT_MODES == ("dry_run", "commit")
    assert rules.IMPORT_TOLERANCE_M == 2.0 and rules.IMPORT_TOLERANCE_MAX_M == 50.0
    assert rules.GRID_SEQUENCE_MAX == 10 ** (rules.CODE_LENGTH["grid"] - rules.CODE_LENGTH["community"]) - 1 == 999
    assert "grid_code" in rules.CODE_FIELDS and "名称" in rules.NAME_FIELDS


def test_export_formats_and_file_names():
    assert rules.EXPORT_FORMATS == ("geojson", "shp", "csv", "gpkg", "fgb")
    assert set(rules.EXPORT_FILE_NAMES) == set(rules.EXPORT_LEVELS)
    assert str(rules.EXPORT_FILE_NAMES["district"]) == "区县"
