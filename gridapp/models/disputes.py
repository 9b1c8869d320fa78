"""Disputes (矛盾纠纷排查化解): register → route by difficulty → mediate → outcome → follow-up.

The closed loop of a dispute runs on the casework core (gridapp.core.casework) like an
incident's: a transition table, an optimistic ``version`` column, an append-only history
(:class:`DisputeEvent`, refused UPDATE/DELETE by a trigger) and side actions approved by the
next level (:class:`DisputeApproval`). Party data (names, ID numbers, phones) is personal
information under PIPL: masked by default, each full view logged in ``pii_views``.
"""
from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..disputes.rules import CHANNELS, DIFFICULTIES, DISPUTE_STATES, PARTY_KINDS, PERFORMANCE, RISK_LEVELS, SOURCES
from ..extensions import db
from .users import User
from .workflow import ApprovalRequest, CaseEvent


def _in(col: str, values: tuple[str, ...], nullable: bool = False) -> str:
    cond = f"{col} IN ({', '.join(repr(v) for v in values)})"
    return f"{col} IS NULL OR {cond}" if nullable else cond


class DisputeType(db.Model):
    """A dispute type (纠纷类型), editable by administrators; ``active`` false hides it from new
    registrations (existing disputes keep it)."""

    __tablename__ = "dispute_types"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MediationCommittee(db.Model):
    """A people's mediation committee (人民调解委员会) of a community, township or district."""

    __tablename__ = "mediation_committees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)


class Mediator(db.Model):
    """A people's mediator (人民调解员), member of one committee; may have a login."""

    __tablename__ = "mediators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    committee_id: Mapped[int] = mapped_column(ForeignKey("mediation_committees.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    committee: Mapped[MediationCommittee] = relationship()


class Dispute(db.Model):
    """One dispute at a point (SRID 4326), located into a grid (null in a village) and a
    community at registration. ``deadline_at`` = ``registered_at`` + 30 days (+ approved
    extensions); times UTC; ``amount`` in yuan (CNY)."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(_in("status", DISPUTE_STATES), name="ck_disputes_status"),
        CheckConstraint(_in("difficulty", DIFFICULTIES), name="ck_disputes_difficulty"),
        CheckConstraint(_in("source", SOURCES), name="ck_disputes_source"),
        CheckConstraint(_in("risk_level", RISK_LEVELS), name="ck_disputes_risk_level"),
        CheckConstraint(_in("channel", CHANNELS, nullable=True), name="ck_disputes_channel"),
        CheckConstraint(_in("performance", PERFORMANCE, nullable=True), name="ck_disputes_performance"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_disputes_amount"),
        CheckConstraint("difficulty <> 'hard' OR leader IS NOT NULL", name="ck_disputes_leader"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_code: Mapped[str] = mapped_column(ForeignKey("dispute_types.code"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code"), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    source: Mapped[str] = mapped_column(String(16))
    amount: Mapped[float | None] = mapped_column(Numeric(14, 2))
    risk_level: Mapped[str] = mapped_column(String(8))
    escalation_risk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    difficulty: Mapped[str] = mapped_column(String(8))
    leader: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    registered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediators.id"))
    channel: Mapped[str | None] = mapped_column(String(16))
    court_case_no: Mapped[str | None] = mapped_column(String(64))
    agreement: Mapped[str | None] = mapped_column(Text)
    performance: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    type: Mapped[DisputeType] = relationship()
    registrar: Mapped[User] = relationship(foreign_keys=[registered_by])
    mediator: Mapped[Mediator | None] = relationship()
    parties: Mapped[list[DisputeParty]] = relationship(back_populates="dispute", cascade="all, delete-orphan",
                                                       order_by="DisputeParty.id")

    __mapper_args__ = {"version_id_col": version}


class DisputeParty(db.Model):
    """A party (当事人): a natural person or an organisation. ``name``, ``id_number`` (18 chars,
    GB 11643) and ``phone`` of a person are personal information (masked by default)."""

    __tablename__ = "dispute_parties"
    __table_args__ = (CheckConstraint(_in("kind", PARTY_KINDS), name="ck_dispute_parties_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))

    dispute: Mapped[Dispute] = relationship(back_populates="parties")


class MediationSession(db.Model):
    """One mediation session (调解): local date held, participants, minutes (笔录), mediator."""

    __tablename__ = "mediation_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    participants: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str] = mapped_column(Text)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediators.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    mediator: Mapped[Mediator | None] = relationship()


class DisputeVisit(db.Model):
    """A follow-up visit (回访) after the outcome, with a satisfaction score 1–5."""

    __tablename__ = "dispute_visits"
    __table_args__ = (CheckConstraint("satisfaction BETWEEN 1 AND 5", name="ck_dispute_visits_satisfaction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    satisfaction: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(Text)
    visited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class DisputeIncident(db.Model):
    """A link between a dispute and a related incident (关联事件)."""

    __tablename__ = "dispute_incidents"

    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)


class DisputeEvent(CaseEvent, db.Model):
    """One entry of a dispute's history (append-only: a trigger refuses UPDATE and DELETE).
    Same shape as :class:`~gridapp.models.workflow.IncidentEvent`."""

    __tablename__ = "dispute_events"

    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)


class DisputeApproval(ApprovalRequest, db.Model):
    """A side action (extend: 延期) waiting for approval by a higher rank; at most one pending
    request per dispute. Same shape as :class:`~gridapp.models.workflow.IncidentApproval`."""

    __tablename__ = "dispute_approvals"
    __table_args__ = (
        CheckConstraint("decision IS NULL OR decision IN ('approved', 'refused')",
                        name="ck_dispute_approvals_decision"),
        Index("uq_dispute_approvals_pending", "dispute_id", unique=True, postgresql_where=text("decision IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
