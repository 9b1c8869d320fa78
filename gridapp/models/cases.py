"""Incident categories and incidents (事件)."""
from __future__ import annotations

import enum
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .users import User


class IncidentStatus(enum.StrEnum):
    """States of the closed loop (domain.md). Only ``reported`` is reachable so far."""

    REPORTED = "reported"


class IncidentCategory(db.Model):
    """A category: GB/T 30428.2 event classes (major 01–06, minor code4) and the project's
    social-governance classes (major 51–58). Incidents use leaf categories (no children)."""

    __tablename__ = "incident_categories"
    __table_args__ = (
        CheckConstraint("kind IN ('event', 'social')", name="ck_incident_categories_kind"),
    )

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("incident_categories.code"))
    source: Mapped[str] = mapped_column(String(200))


class Incident(db.Model):
    """A reported incident at a point (SRID 4326), located into a grid (null in a village) and a
    community when it is reported. ``reported_at`` is UTC."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("status IN ('reported')", name="ck_incidents_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("incident_categories.code"))
    description: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code"), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.REPORTED.value)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                  index=True)

    category: Mapped[IncidentCategory] = relationship()
    reporter: Mapped[User] = relationship()
