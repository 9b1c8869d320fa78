"""The rules of grid coverage (网格覆盖) — the one file to change them.

Is every grid staffed and organised? A grid's **status** on the coverage map (and in
``/api/v1/coverage/grids`` and the vector tiles) is decided by :func:`grid_status`:

* ``no_worker`` — 无网格员: fewer than :data:`MIN_WORKERS` grid workers assigned (an unstaffed grid);
  drawn dark red (outline ``#922b21``) filled red (``#e74c3c``);
* ``worker_no_group`` — 有网格员、无党小组: staffed, but no live grid party group holds the grid;
  drawn brown filled orange (``#9c640c`` / ``#f5b041``);
* ``covered`` — 已覆盖: staffed and organised; drawn dark green filled green (``#1e8449`` / ``#58d68d``).

:data:`GRID_STATUSES` gives each status, in legend order, its label and its colours on the map
(``color`` the outline, ``fillColor`` the fill): the map's script receives them as data
(``coverage_styles`` of the page's map configuration, :func:`map_styles`) and draws nothing of its
own. The vector tiles compute the same status in SQL (:func:`gridapp.coverage.tiles.status_sql`
reads :data:`MIN_WORKERS`).

The same map colours each community-level unit (社区/村) by whether it has grids
(:data:`COMMUNITY_STATUSES`: its ``gridded`` property in ``/api/v1/areas`` and the tiles;
``community_styles``), and the coverage
check (:mod:`gridapp.coverage.check`) each problem it finds by its kind (:data:`CHECK_PROBLEMS`;
``styles`` of the check's map).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Fewest grid workers a staffed grid has.
MIN_WORKERS = 1

#: Status → label and colours on the coverage map, in legend order.
GRID_STATUSES = {
    "no_worker": {"label": _l("无网格员"), "color": "#922b21", "fillColor": "#e74c3c"},
    "worker_no_group": {"label": _l("有网格员、无党小组"), "color": "#9c640c", "fillColor": "#f5b041"},
    "covered": {"label": _l("已覆盖（网格员+党小组）"), "color": "#1e8449", "fillColor": "#58d68d"},
}

#: A community-level unit on the coverage map: gridded (it has grids) or not (villages, 村, are
#: often ungridded by design) → label and style (outline, fill, fill opacity, dashes).
COMMUNITY_STATUSES = {
    "gridded": {"label": _l("已划分网格"), "color": "#2c7a4b", "fillColor": "#a8dcb9", "fillOpacity": 0.35},
    "ungridded": {"label": _l("未划分网格"), "color": "#7f8c8d", "fillColor": "#d5d8dc", "fillOpacity": 0.5,
                  "dashArray": "3 3"},
}

#: The problems of the coverage check, in its order → label and colour on the check's map (outline
#: and fill; an ungridded unit is filled faintly: it is a fact to see, often not a fault).
CHECK_PROBLEMS = {
    "gap": {"label": _l("缺口（未被网格覆盖）"), "color": "#e67e22", "fillOpacity": 0.6},
    "overlap": {"label": _l("网格重叠"), "color": "#c0392b", "fillOpacity": 0.6},
    "outside": {"label": _l("网格超出社区"), "color": "#8e44ad", "fillOpacity": 0.6},
    "ungridded": {"label": _l("未划分网格的社区/村"), "color": "#7f8c8d", "fillOpacity": 0.15},
}


def grid_status(workers: int, group_id: int | None) -> str:
    """``no_worker`` | ``worker_no_group`` | ``covered`` for a grid's worker count and its live
    group (None: none); the SQL twin is :func:`gridapp.coverage.tiles.status_sql`."""
    if (workers or 0) < MIN_WORKERS:
        return "no_worker"
    return "covered" if group_id else "worker_no_group"


def _as_data(table: dict) -> dict:
    return {name: {**style, "label": str(style["label"])} for name, style in table.items()}


def map_styles() -> dict:
    """The grid statuses as the map's script receives them: {status: {label, color, fillColor}},
    in legend order (labels translated)."""
    return _as_data(GRID_STATUSES)


def community_styles() -> dict:
    """The community statuses as the map's script receives them: {gridded | ungridded: {label,
    color, fillColor, fillOpacity, dashArray?}} (labels translated)."""
    return _as_data(COMMUNITY_STATUSES)


def check_styles() -> dict:
    """The coverage check's problems as its map receives them: {kind: {label, color,
    fillOpacity}}, in the check's order (labels translated)."""
    return _as_data(CHECK_PROBLEMS)
