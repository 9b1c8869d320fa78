"""Schemas of disputes (矛盾纠纷): registration, list, actions, figures, types, mediators."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from .common import (
    AreaPeriod,
    Flag,
    Id,
    Int4,
    Lat,
    Lon,
    Model,
    Out,
    Paging,
    Period,
    Required,
    RequiredShort,
    Short,
    Text,
)


class Party(Model):
    """A party of a dispute (kind person|organisation; id_number and phone optional)."""

    kind: Short | None = None
    name: RequiredShort
    id_number: Short | None = None
    phone: Short | None = None


class DisputeRegistration(Model):
    """A dispute to register; codes and levels are checked against the editable lists."""

    type_code: RequiredShort
    summary: Required
    lon: Lon
    lat: Lat
    source: Short | None = None
    parties: list[Party] = Field(min_length=1, max_length=50)
    amount: float | None = Field(None, ge=0, le=1e12, allow_inf_nan=False, description="yuan")
    risk_level: Short | None = None
    escalation_risk: bool | None = None
    difficulty: Short | None = None
    leader: Short | None = None
    incidents: list[Id] | None = Field(None, max_length=50)


class Dispute(Out):
    """One dispute (parties masked unless revealed), with allowed actions and history."""

    id: int
    status: str
    version: int
    type_code: str
    summary: str
    lon: float
    lat: float
    community_code: str | None
    registered_at: datetime
    deadline_at: datetime
    overdue: bool
    parties: list[dict[str, Any]]
    allowed_actions: list[str]
    history: list[dict[str, Any]]


class DisputeQuery(Period, Paging):
    """The filters of the dispute list."""

    state: Short | None = None
    type: Short | None = None
    difficulty: Short | None = None
    risk_level: Short | None = None
    escalation_risk: Flag | None = None
    community: Short | None = None
    overdue: Flag | None = None


class StatsQuery(AreaPeriod):
    """An area and a period (level and code required)."""


class DisputeStats(Out):
    """Figures of disputes (definitions in the README)."""

    counts: dict[str, Any]
    referred: dict[str, Any]
    resolution_rate: float | None
    satisfaction: dict[str, Any]


class RevealQuery(Model):
    """``reveal=true`` shows the parties in full (allowed roles; each view logged)."""

    reveal: Flag | None = None


class DisputeActionBody(Model):
    """An action's parameters (each action reads its own; see the README's table)."""

    version: Int4 | None = None
    note: Text | None = None


class DisputeType(Out):
    """A dispute type."""

    code: str
    name: str


class DisputeTypeSaved(DisputeType):
    """A saved dispute type."""

    active: bool


class DisputeTypeBody(Model):
    """A dispute type to create or edit."""

    code: RequiredShort
    name: RequiredShort
    active: bool | None = None
    position: Int4 | None = None


class Mediator(Out):
    """A mediator (人民调解员)."""

    id: int
    name: str
    committee_id: int


class MediatorListed(Mediator):
    """A mediator with the committee's name."""

    committee: str


class MediatorBody(Model):
    """A mediator in an existing committee, or in a new one of an area."""

    name: RequiredShort
    committee_id: Id | None = None
    committee_name: Short | None = None
    area_code: Short | None = None
