"""KPI facts (issue 23; migrations 0013_daily_facts and 0014_kpi_rollups): each case's contribution
to the KPIs of :mod:`gridapp.analytics.kpi`, and its sums per span (local day and month) × area ×
category (:class:`KpiRollup`) and per span × area × whole hours to close (:class:`KpiCloseHours`),
kept by database triggers in the same transaction as every write to incidents, their history and
their approvals (:mod:`gridapp.analytics.facts`)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, Index, Integer, Numeric, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .cases import Incident

#: the KPI components counted per fact row (definitions: gridapp.analytics.kpi)
FACT_COUNTS = ("reported", "filed", "handled_filed", "handled_on_time", "closed", "closed_on_time", "handled_ever",
               "reworked", "extended")


class _Counts:
    """The KPI components (:data:`FACT_COUNTS`) and the seconds to close, of a case or summed."""

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


class KpiCaseFact(_Counts, db.Model):
    """One case's current contribution (merged cases have none): written only by the trigger
    functions and :func:`gridapp.analytics.facts.rebuild`. ``day`` is the local date of
    ``reported_at``; ``close_bucket`` the whole hours from report to close (capped at 8784), -1
    when not closed; ``close_seconds`` the seconds from report to close (0 when not closed)."""

    __tablename__ = "kpi_case_facts"
    __table_args__ = (Index("ix_kpi_case_facts_bucket", "close_bucket", "day", postgresql_include=[
        "close_seconds", "district_code", "township_code", "community_code", "grid_code"]),)
    incident_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    grid_code: Mapped[str | None] = mapped_column(String)
    community_code: Mapped[str] = mapped_column(String)
    township_code: Mapped[str | None] = mapped_column(String)
    district_code: Mapped[str] = mapped_column(String(6))
    category_code: Mapped[str] = mapped_column(String(8))
    close_bucket: Mapped[int] = mapped_column(SmallInteger)


class _SpanArea:
    """A roll-up row's key: ``span`` ``d`` (the local day ``start``) or ``m`` (the month beginning
    on ``start``), the area (``level`` district | township | community, ``area_code``) and the
    area's district (and township, below a district) to select sub-areas."""

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    span: Mapped[str] = mapped_column(String(1))
    start: Mapped[date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(10))
    area_code: Mapped[str] = mapped_column(String)
    district_code: Mapped[str] = mapped_column(String(6))


class KpiRollup(_SpanArea, _Counts, db.Model):
    """The case facts summed per span × area × category (``''``: every category). Append-only
    deltas merged by ``kpi_rollups_compact()``: a key may have several rows; read their sums."""

    __tablename__ = "kpi_rollups"
    __table_args__ = (Index("ix_kpi_rollups_area", "area_code", "category_code", "span", "start"),
                      Index("ix_kpi_rollups_district", "district_code", "level", "category_code", "span", "start"),
                      CheckConstraint("span IN ('d', 'm')", name="ck_kpi_rollups_span"))
    category_code: Mapped[str] = mapped_column(String(8))
    township_code: Mapped[str | None] = mapped_column(String)


class KpiCloseHours(_SpanArea, db.Model):
    """The closed cases per span × area × ``close_bucket`` (whole hours to close): the histogram
    of the medians. Append-only deltas, as :class:`KpiRollup`."""

    __tablename__ = "kpi_close_hours"
    __table_args__ = (Index("ix_kpi_close_hours_area", "area_code", "span", "start"),
                      CheckConstraint("span IN ('d', 'm')", name="ck_kpi_close_hours_span"))
    close_bucket: Mapped[int] = mapped_column(SmallInteger)
    closed: Mapped[int] = mapped_column(Integer)
    close_seconds: Mapped[Decimal] = mapped_column(Numeric)


class KpiCompaction(db.Model):
    """The watermarks of ``kpi_rollups_compact()`` (one row, id 1): the last row id merged in each table."""

    __tablename__ = "kpi_compaction"
    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hours_id: Mapped[int] = mapped_column(BigInteger)


#: the live part of the KPIs (overdue now): the open cases of a cohort (district, report time) with
#: the columns the live counts read (migrations 0013, 0014, 0016)
OPEN_COHORT_INDEX = Index("ix_incidents_open_cohort", Incident.district_code, Incident.reported_at,
                          postgresql_where=text("status IN ('filed', 'dispatched', 'in_progress', 'deferred')"),
                          postgresql_include=["deadline_at", "community_code", "grid_code", "category_code",
                                              "filed_at", "handled_at"])
