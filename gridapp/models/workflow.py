"""The closed loop's supporting tables: departments (专业部门) and their handlers, category
attributes (level, deadline, responsible department), the append-only case history and the
approvals of side actions (回退/作废/延期/缓办)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from ..extensions import db
from ..incidents.rules import CATEGORY_LEVELS, MAX_DEADLINE_HOURS
from .users import User


class Department(db.Model):
    """A professional department (专业部门) of a district that handles dispatched cases."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    district_code: Mapped[str] = mapped_column(String(6), index=True)


class DepartmentMember(db.Model):
    """A handler (处置人员): a user who acts for a department on the cases dispatched to it."""

    __tablename__ = "department_members"

    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code", ondelete="CASCADE"),
                                                 primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)

    user: Mapped[User] = relationship()


class CategoryRule(db.Model):
    """Attributes of a leaf category: level (简易/一般/突出/重大), deadline in calendar hours from
    filing (立案) and the department a case is dispatched to by default."""

    __tablename__ = "category_rules"
    __table_args__ = (
        CheckConstraint("level IN (" + ", ".join(f"'{v}'" for v in CATEGORY_LEVELS) + ")",
                        name="ck_category_rules_level"),
        CheckConstraint(f"deadline_hours > 0 AND deadline_hours <= {MAX_DEADLINE_HOURS}",
                        name="ck_category_rules_deadline_hours"),
    )

    category_code: Mapped[str] = mapped_column(ForeignKey("incident_categories.code", ondelete="CASCADE"),
                                               primary_key=True)
    level: Mapped[str] = mapped_column(String(8))
    deadline_hours: Mapped[int] = mapped_column(Integer)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))

    department: Mapped[Department | None] = relationship()


class CaseEvent:
    """Columns of one entry of a case's history (mixed into the incident and dispute histories):
    who (``actor_id``), when (``at``, UTC), which action, the state before and after, the note and
    the action's data."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    @declared_attr
    def actor(cls) -> Mapped[User]:
        return relationship(User)


class IncidentEvent(CaseEvent, db.Model):
    """One entry of a case's history (append-only: a database trigger refuses UPDATE and DELETE).

    ``at`` UTC; ``from_state``/``to_state`` equal for actions that do not move the case (a side
    action requested, an extension). ``data``: the action's parameters (department, hours,
    passed, rating, approval id...); ``attachments``: list of file references."""

    __tablename__ = "incident_events"
    # the KPIs' history facts of a case (gridapp.analytics.kpi: handled ever, reworked) probe these small
    # partial indexes, not every event of the case (a month of a 1,000,000-case city: 2.4 s → 1.3 s)
    __table_args__ = (
        Index("ix_incident_events_handle", "incident_id", postgresql_where=text("action = 'handle'")),
        Index("ix_incident_events_rework", "incident_id",
              postgresql_where=text("action = 'verify' AND to_state = 'dispatched'")),
    )

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    attachments: Mapped[list] = mapped_column(JSON, default=list)


class ApprovalRequest:
    """Columns of a side action waiting for approval (mixed into the incident and dispute approval
    tables): the action and its data, who asked (and at which rank), who decided, when and how."""

    action: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_rank: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision: Mapped[str | None] = mapped_column(String(16))

    @declared_attr
    def requester(cls) -> Mapped[User]:
        return relationship(User, foreign_keys=[cls.requested_by])


class IncidentApproval(ApprovalRequest, db.Model):
    """A side action (return/void/extend/defer) waiting for approval by the next level.

    ``requested_rank``: rank of the role the requester acted in (assignee/worker/reporter 1,
    secretary 2, township 3, district 4); the approver needs a higher rank. At most one pending
    request per case (partial unique index)."""

    __tablename__ = "incident_approvals"
    __table_args__ = (
        CheckConstraint("decision IS NULL OR decision IN ('approved', 'refused')",
                        name="ck_incident_approvals_decision"),
        Index("uq_incident_approvals_pending", "incident_id", unique=True,
              postgresql_where=text("decision IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)


class Photo(db.Model):
    """An uploaded photo, stored once by content under ``<instance>/photos/<sha[:2]>/<sha>.<ext>``
    with a JPEG thumbnail beside it. ``gps_lon``/``gps_lat``: WGS84 degrees from EXIF, if any.
    Referenced from history attachments as ``photo:<sha256>``."""

    __tablename__ = "photos"
    __table_args__ = (
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')",
                        name="ck_photos_content_type"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PhotoUpload(db.Model):
    """Who uploaded a photo: a photo is stored once by content, but each user who uploads the same
    bytes owns it (may attach it); :attr:`Photo.uploaded_by` is the first of them."""

    __tablename__ = "photo_uploads"

    sha256: Mapped[str] = mapped_column(ForeignKey("photos.sha256"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
