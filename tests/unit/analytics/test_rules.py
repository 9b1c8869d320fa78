"""The dashboard rules (no database)."""
from __future__ import annotations

from gridapp.analytics import rules


def test_drill_down_reaches_the_grid():
    level, chain = "district", []
    while level:
        chain.append(level)
        level = rules.CHILD[level]
    assert chain == ["district", "township", "community", "grid"]


def test_periods_and_report_columns():
    assert rules.DEFAULT_DAYS == 30 and rules.MAX_DAYS >= 3650
    columns = [c for c, _label in rules.REPORT_COLUMNS]
    assert set(rules.RATES) <= set(columns) and len(columns) == len(set(columns))
