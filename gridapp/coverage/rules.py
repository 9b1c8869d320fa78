"""The rules of grid coverage (网格覆盖) — the one file to change them.

Is every grid staffed and organised? A grid's **status** on the coverage map (and in
``/api/v1/coverage/grids`` and the vector tiles) is decided by :func:`grid_status`:

* ``no_worker`` — 无网格员: fewer than :data:`MIN_WORKERS` grid workers assigned (an unstaffed grid);
* ``worker_no_group`` — 有网格员、无党小组: staffed, but no live grid party group holds the grid;
* ``covered`` — 已覆盖: staffed and organised.

:data:`GRID_STATUSES` gives each status, in legend order, its label and its colours on the map
(``color`` the outline, ``fillColor`` the fill): the map's script receives them as data
(``coverage_styles`` of the page's map configuration) and draws nothing of its own.
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


def grid_status(workers: int, group_id: int | None) -> str:
    """``no_worker`` | ``worker_no_group`` | ``covered`` for a grid's worker count and its live
    group (None: none); the SQL twin is :func:`gridapp.coverage.tiles.status_sql`."""
    if (workers or 0) < MIN_WORKERS:
        return "no_worker"
    return "covered" if group_id else "worker_no_group"


def map_styles() -> dict:
    """The statuses as the map's script receives them: {status: {label, color, fillColor}}, in
    legend order (labels translated)."""
    return {status: {**style, "label": str(style["label"])} for status, style in GRID_STATUSES.items()}
