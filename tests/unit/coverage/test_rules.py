"""The coverage rules: a grid's status, and what the map shows for it (no database)."""
from __future__ import annotations

from gridapp.coverage import rules


def test_an_unstaffed_grid_is_no_worker_whatever_its_group():
    assert rules.grid_status(0, None) == rules.grid_status(0, 7) == "no_worker"
    assert rules.grid_status(None, 7) == "no_worker"
    assert rules.grid_status(1, None) == "worker_no_group" and rules.grid_status(2, 7) == "covered"


def test_the_map_receives_every_status_with_its_label_and_colours_in_legend_order():
    styles = rules.map_styles()
    assert list(styles) == ["no_worker", "worker_no_group", "covered"]
    assert styles["no_worker"] == {"label": "无网格员", "color": "#922b21", "fillColor": "#e74c3c"}
    assert all(s["color"].startswith("#") and s["fillColor"].startswith("#") for s in styles.values())
