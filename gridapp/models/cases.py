"""Incident categories and incidents (事件)."""
from __future__ import annotations

import enum
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .users import User


class IncidentStatus(enum.StrEnum):
    """States of the closed loop (domain.md); the transitions are the table of
    :mod:`gridapp.incidents.workflow`."""

    REPORTED = "reported"        # 上报
    ACCEPTED = "accepted"        # 受理
    FILED = "filed"              # 立案
    REJECTED = "rejected"        # 不予立案
    DISPATCHED = "dispatched"    # 派遣
    IN_PROGRESS = "in_progress"  # 处置中
    HANDLED = "handled"          # 已反馈（处置完毕待核查）
    CLOSED = "closed"            # 结案
    EVALUATED = "evaluated"      # 已评价
    VOIDED = "voided"            # 作废
    DEFERRED = "deferred"        # 缓办
    MERGED = "merged"            # 作为重复件并入另一案件


STATUS_VALUES = tuple(s.value for s in IncidentStatus)


class IncidentCategory(db.Model):
    """A category: GB/T 30428.2 event classes (major 01–06, minor code4) and the project's
    social-governance classes (major 51–58). Incidents use leaf categories (no children)."""

    __tablename__ = "incident_categories"
    __table_args__ = (
        CheckConstraint("kind IN ('event', 'component', 'social')", name="ck_incident_categories_kind"),
    )

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("incident_categories.code"))
    source: Mapped[str] = mapped_column(String(200))

    parent: Mapped[IncidentCategory | None] = relationship(remote_side=[code], lazy="joined")


class Incident(db.Model):
    """A reported incident at a point (SRID 4326), located into a grid (null in a village) and a
    community when it is reported. ``reported_at`` is UTC."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("status IN (" + ", ".join(f"'{v}'" for v in STATUS_VALUES) + ")",
                        name="ck_incidents_status"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="ck_incidents_rating"),
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

    # The closed loop (gridapp.incidents.workflow). ``version`` is the optimistic lock: every
    # UPDATE is ``... WHERE id = :id AND version = :read_version`` (SQLAlchemy version_id_col).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), index=True)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    # Identifier of the case in the system it was imported from (e.g. "boston311:101001367728").
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    # The reported point's GPS accuracy in metres (radius, as the device gives it); null when the
    # point was picked on the map or typed (issue 19).
    location_accuracy_m: Mapped[float | None] = mapped_column(Float)

    category: Mapped[IncidentCategory] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])

    __mapper_args__ = {"version_id_col": version}
