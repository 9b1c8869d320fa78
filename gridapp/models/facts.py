"""Daily KPI facts (issue 23; migration 0013_daily_facts): each case's contribution to the KPIs of
:mod:`gridapp.analytics.kpi` and their sums per local report day × grid × category × close-time
bucket, kept by database triggers in the same transaction as every write to incidents, their
history and their approvals (:mod:`gridapp.analytics.facts`)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Index, Integer, Numeric, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .cases import Incident

#: the KPI components counted per fact row (definitions: gridapp.analytics.kpi)
FACT_COUNTS = ("reported", "filed", "handled_filed", "handled_on_time", "closed", "closed_on_time", "handled_ever",
               "reworked", "extended")


class _FactColumns:
    day: Mapped[date] = mapped_column(Date)
    grid_code: Mapped[str | None] = mapped_column(String)
    community_code: Mapped[str] = mapped_column(String)
    district_code: Mapped[str] = mapped_column(String(6))
    category_code: Mapped[str] = mapped_column(String(8))
    close_bucket: Mapped[int] = mapped_column(SmallInteger)
    reported: Mapped[int] = mapped_column(Integer)
    filed: Mapped[int] = mapped_column(Integer)
    handled_filed: Mapped[int] = mapped_column(Integer)
    handled_on_time: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    closed_on_time: Mapped[int] = mapped_column(Integer)
    handled_ever: Mapped[int] = mapped_column(Integer)
    reworked: Mapped[int] = mapped_column(Integer)
    extended: Mapped[int] = mapped_column(Integer)
    close_seconds: Mapped[Decimal] = mapped_column(Numeric)


class KpiCaseFact(_FactColumns, db.Model):
    """One case's current contribution (merged cases have none): written only by the trigger
    function ``kpi_facts_refresh`` and :func:`gridapp.analytics.facts.rebuild`."""

    __tablename__ = "kpi_case_facts"
    incident_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class KpiDailyFact(_FactColumns, db.Model):
    """The sums of the case facts per (day, grid_code, community_code, district_code,
    category_code, close_bucket): ``day`` the local date of ``reported_at``; ``close_bucket`` the
    whole hours from report to close (capped at 8784), -1 when not closed."""

    __tablename__ = "kpi_daily_facts"
    __table_args__ = (
        Index("uq_kpi_daily_facts_key", "day", "grid_code", "community_code", "district_code", "category_code",
              "close_bucket", unique=True, postgresql_nulls_not_distinct=True),
        Index("ix_kpi_daily_facts_district_day", "district_code", "day"),
        Index("ix_kpi_daily_facts_community_day", "community_code", "day"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


#: the live part of the KPIs (overdue now): open cases past their deadline (migration 0013)
OPEN_DEADLINE_INDEX = Index("ix_incidents_open_deadline", Incident.deadline_at,
                            postgresql_where=text("status IN ('filed', 'dispatched', 'in_progress', 'deferred')"))
