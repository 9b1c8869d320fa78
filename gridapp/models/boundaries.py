"""Grid edits and their lineage: grid codes are stable identifiers, never reused.

An edit (split, merge, edge move, generation) retires the codes of the grids it replaces and issues
new ones; :class:`GridLineage` keeps old → new. A code that appears in the lineage as an old code is
retired for good (new codes continue after the highest sequence ever issued in the community).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class GridEdit(db.Model):
    """One grid edit of one community (one transaction): ``operation`` is generate | split |
    merge | move_edge | renumber | import; ``created_at`` UTC."""

    __tablename__ = "grid_edits"
    __table_args__ = (
        CheckConstraint("operation IN ('generate', 'split', 'merge', 'move_edge', 'renumber', 'import')",
                        name="ck_grid_edits_operation"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation: Mapped[str] = mapped_column(String(16))
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    lineage: Mapped[list[GridLineage]] = relationship(back_populates="edit", cascade="all, delete-orphan")


class GridLineage(db.Model):
    """old grid code → new grid code of one edit (a split gives one row per piece, a merge one row
    per merged grid). Codes are plain strings: the old grid no longer exists."""

    __tablename__ = "grid_lineage"

    edit_id: Mapped[int] = mapped_column(ForeignKey("grid_edits.id", ondelete="CASCADE"), primary_key=True)
    old_code: Mapped[str] = mapped_column(String(15), primary_key=True, index=True)
    new_code: Mapped[str] = mapped_column(String(15), primary_key=True, index=True)

    edit: Mapped[GridEdit] = relationship(back_populates="lineage")
