"""The coverage rules: a grid's status, and what the map shows for it (no database)."""
from __future__ import annotations

from pathlib import Path

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


def test_communities_are_coloured_gridded_or_not():
    styles = rules.community_styles()
    assert list(styles) == ["gridded", "ungridded"]
    assert styles["gridded"] == {"label": "已划分网格", "color": "#2c7a4b", "fillColor": "#a8dcb9", "fillOpacity": 0.35}
    assert styles["ungridded"]["label"] == "未划分网格" and styles["ungridded"]["dashArray"] == "3 3"


def test_the_check_map_receives_each_problem_kind_in_the_check_order():
    styles = rules.check_styles()
    assert list(styles) == ["gap", "overlap", "outside", "ungridded"]
    assert styles["gap"] == {"label": "缺口（未被网格覆盖）", "color": "#e67e22", "fillOpacity": 0.6}
    assert styles["ungridded"]["fillOpacity"] < styles["overlap"]["fillOpacity"]


def test_the_map_scripts_hard_code_no_coverage_colour():
    js = Path(rules.__file__).resolve().parents[1] / "static" / "js"
    scripts = {p.name: p.read_text(encoding="utf-8").lower() for p in js.glob("*.js")}
    statuses = [*rules.GRID_STATUSES.values(), *rules.COMMUNITY_STATUSES.values()]
    colours = {s[k].lower() for s in statuses for k in ("color", "fillColor")}
    assert len(colours) == 10
    assert not [(name, c) for name, text in scripts.items() for c in colours if c in text]
    check = scripts["coverage_check.js"]
    assert not [s["color"] for s in rules.CHECK_PROBLEMS.values() if s["color"] in check]
    assert "cfg.styles" in check and "cfg.community_styles" in scripts["map.js"]
