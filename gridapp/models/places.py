"""Places (场所/单位), inspections (检查), campaigns (专项整治行动), rectification notices
(整改通知书) and the places' append-only timeline.

Geometry is SRID 4326 (lon/lat); times are UTC. ``version`` columns are optimistic locks
(SQLAlchemy ``version_id_col``), as on :class:`~gridapp.models.cases.Incident`."""
from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..inspections.rules import MEASURES, NOTICE_STATES
from ..places.rules import PLACE_STATUSES, RISK_LEVELS
from .users import User


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PlaceType(db.Model):
    """A place type (editable list) with its inspection checklist (list of item texts)."""

    __tablename__ = "place_types"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    checklist: Mapped[list] = mapped_column(JSONB, default=list)
    sort: Mapped[int] = mapped_column(Integer, default=0)


class Place(db.Model):
    """A place at a point, located into a grid (null in an ungridded village) and a community
    when it is registered. ``status``: operating (在营) / suspended (停业整顿) / banned (取缔)."""

    __tablename__ = "places"
    __table_args__ = (
        CheckConstraint(_in("status", PLACE_STATUSES), name="ck_places_status"),
        CheckConstraint(_in("risk_level", RISK_LEVELS), name="ck_places_risk_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_code: Mapped[str] = mapped_column(ForeignKey("place_types.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str | None] = mapped_column(String(100))
    licence_no: Mapped[str | None] = mapped_column(String(64))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code"), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    risk_level: Mapped[str] = mapped_column(String(8), default="low")
    status: Mapped[str] = mapped_column(String(16), default="operating")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    place_type: Mapped[PlaceType] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Campaign(db.Model):
    """专项整治行动: inspections over a period (local dates, inclusive) in an area."""

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ck_campaigns_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)


class Inspection(db.Model):
    """One inspection outing (planned or ad hoc) by a team: ``members`` (list of names; its
    length is the person-times), ``department``, ``vehicle_trips`` (车辆台次)."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint("kind IN ('planned', 'ad_hoc')", name="ck_inspections_kind"),
        CheckConstraint("vehicle_trips >= 0", name="ck_inspections_vehicle_trips"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    inspected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    department: Mapped[str | None] = mapped_column(String(100))
    members: Mapped[list] = mapped_column(JSONB, default=list)
    vehicle_trips: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))

    campaign: Mapped[Campaign | None] = relationship()
    visits: Mapped[list[InspectionPlace]] = relationship(back_populates="inspection",
                                                         order_by="InspectionPlace.place_id")


class InspectionPlace(db.Model):
    """One place checked during an inspection: checklist answers ({item: "pass" | "fail" | "na"},
    rules in inspections/rules.py), findings (text; empty when nothing was found), photos
    (``photo:<sha256>``)."""

    __tablename__ = "inspection_places"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True, index=True)
    checklist: Mapped[dict] = mapped_column(JSONB, default=dict)
    findings: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSONB, default=list)

    inspection: Mapped[Inspection] = relationship(back_populates="visits")
    place: Mapped[Place] = relationship()


class RectificationNotice(db.Model):
    """整改通知书 issued to a place from an inspection's finding; ``number`` unique
    (整改〔year〕NNNN, per district and year); ``deadline_at`` UTC. States: issued → passed |
    failed (re-inspection); failed or overdue → escalation_pending (fine/suspend/ban requested)
    → escalated (approved) or back (refused)."""

    __tablename__ = "rectification_notices"
    __table_args__ = (
        CheckConstraint(_in("status", NOTICE_STATES), name="ck_rectification_notices_status"),
        CheckConstraint("measure IS NULL OR " + _in("measure", MEASURES), name="ck_rectification_notices_measure"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    requirements: Mapped[str] = mapped_column(Text)
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(20), default="issued")
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reinspected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    measure: Mapped[str | None] = mapped_column(String(8))
    state_before_escalation: Mapped[str | None] = mapped_column(String(20))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_rank: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    place: Mapped[Place] = relationship()
    inspection: Mapped[Inspection] = relationship()
    issuer: Mapped[User] = relationship(foreign_keys=[issued_by])

    __mapper_args__ = {"version_id_col": version}


class PlaceEvent(db.Model):
    """One entry of a place's timeline (append-only: a database trigger refuses UPDATE and
    DELETE): registered, inspected, notice issued, re-inspected, escalation requested/decided."""

    __tablename__ = "place_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_notices.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    attachments: Mapped[list] = mapped_column(JSONB, default=list)

    actor: Mapped[User] = relationship()
