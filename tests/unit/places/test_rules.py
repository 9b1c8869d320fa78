"""The places rules (no database)."""
from __future__ import annotations

from gridapp.places import rules


def test_statuses_have_names_and_types_have_checklists():
    assert set(rules.STATUS_NAMES) == set(rules.PLACE_STATUSES) == {"operating", "suspended", "banned"}
    assert set(rules.RISK_NAMES) == set(rules.RISK_LEVELS)
    types = {code: checklist for code, _name, checklist in rules.DEFAULT_TYPES}
    assert "煤堆全覆盖" in types["meichang"] and types["qita"] == []
    assert set(rules.REQUIRED) <= set(rules.COLUMNS.values())
