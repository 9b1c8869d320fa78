"""The job runner's tables in the database: procrastinate's own (created by migration
0012_notifications from the pinned package's schema.sql), not our models."""
from __future__ import annotations

from geoalchemy2 import alembic_helpers

#: Every table, type and function of the job runner starts with this.
PREFIX = "procrastinate"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: GeoAlchemy2's, and never the job runner's tables (not our models)."""
    if type_ == "table" and name and name.startswith(PREFIX):
        return False
    if type_ in ("index", "column", "unique_constraint", "foreign_key_constraint") and \
            getattr(getattr(obj, "table", None), "name", "").startswith(PREFIX):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
