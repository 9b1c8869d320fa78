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
