"""Moving located rows to another grid when the grids change (a grid edit or a grid import), with
a history row for each one moved — nothing changes grid silently (issue 18).

The located tables (:data:`~gridapp.boundaries.rules.LOCATED_TABLES`: incidents, disputes,
places) get their grid again by the one location rule (:mod:`gridapp.boundaries.locate`: the
covering grid, else the nearest, else the smallest code); each row whose grid changes gets, in the
same statement and transaction, a ``moved`` entry in its history — the note "<cause>：<from> →
<to>", the data ``{"from_grid", "to_grid", "cause"}`` (``cause``: ``{"grid_edit": id}`` or
``{"import": audit entry id}``).
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text

from ..extensions import db
from .rules import LOCATED_TABLES

#: Per located table: its history table, the history's key column, the further columns of a moved
#: entry (after key, actor_id, at, action, note, data) with their values, and the type of ``data``.
HISTORY = {
    "incidents": ("incident_events", "incident_id",
                  ", from_state, to_state, attachments", ", m.status, m.status, CAST('[]' AS json)", "json"),
    "disputes": ("dispute_events", "dispute_id", ", from_state, to_state", ", m.status, m.status", "json"),
    "places": ("place_events", "place_id", ", attachments", ", CAST('[]' AS jsonb)", "jsonb"),
}


def relocate(community_codes: list[str], *, actor_id: int, at: datetime, cause: dict, label: str,
             leaving: list[str] | None = None) -> list[dict]:
    """Give the located rows of these communities their grid by the location rule, among the
    community's grids except ``leaving`` (grids an edit is about to delete); with ``leaving``,
    only the rows in those grids (or in none) move, else every row is located again. Each moved
    row gets its ``moved`` history entry by ``actor_id`` at ``at`` (UTC), noted ``label`` (e.g.
    "网格编辑 #12"). Set-based: one statement per table. Returns [{"table", "id", "from_grid",
    "to_grid"}] of the moved rows. The caller commits (or rolls back a preview)."""
    if not community_codes:
        return []
    moved = []
    for table in LOCATED_TABLES:
        history, key, columns, values, json_type = HISTORY[table]
        status = ", t.status" if table != "places" else ""
        rows = db.session.execute(text(f"""
            WITH target AS (
                SELECT i.id, i.grid_code AS old_grid, (
                    SELECT code FROM grids g WHERE g.community_code = i.community_code
                      AND NOT (g.code = ANY(CAST(:leaving AS text[])))
                    ORDER BY NOT ST_Covers(g.geom, i.geom), ST_Distance(g.geom, i.geom), g.code LIMIT 1) AS new_grid
                FROM {table} i
                WHERE i.community_code = ANY(CAST(:codes AS text[]))
                  AND (NOT :only_leaving OR i.grid_code = ANY(CAST(:leaving AS text[])) OR i.grid_code IS NULL)),
            m AS (
                UPDATE {table} t SET grid_code = target.new_grid FROM target
                WHERE t.id = target.id AND t.grid_code IS DISTINCT FROM target.new_grid
                RETURNING t.id, target.old_grid, target.new_grid{status}),
            h AS (
                INSERT INTO {history} ({key}, actor_id, at, action, note, data{columns})
                SELECT m.id, :actor, :at, 'moved', :label || '：' || coalesce(m.old_grid, '—') || ' → '
                       || coalesce(m.new_grid, '—'),
                       CAST(json_build_object('from_grid', m.old_grid, 'to_grid', m.new_grid,
                                              'cause', CAST(:cause AS json)) AS {json_type}){values}
                FROM m)
            SELECT id, old_grid, new_grid FROM m ORDER BY id
        """), {"codes": list(community_codes), "leaving": list(leaving or []), "only_leaving": leaving is not None,
              "actor": actor_id, "at": at, "label": label, "cause": json.dumps(cause)}).all()
        moved += [{"table": table, "id": r.id, "from_grid": r.old_grid, "to_grid": r.new_grid} for r in rows]
    return moved
