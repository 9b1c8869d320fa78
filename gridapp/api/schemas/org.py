"""Schemas of the party organisation roster, coverage and the community audit trail."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from .common import AreaLevel, Day, Id, Model, Out, RequiredShort, Short, Text


class ScopeQuery(Model):
    """Narrow to a community (and a grid); ``reveal=phone,id_number`` for full values."""

    community_code: Short | None = None
    grid_code: Short | None = None
    reveal: Short | None = None


class CoverageQuery(Model):
    """An area (both default to the caller's own)."""

    level: AreaLevel | None = None
    code: Short | None = None


class Coverage(Out):
    """Coverage figures of an area and its children."""

    level: str
    code: str
    name: str


class Partner(Model):
    """A partner of a joint group."""

    partner_type: Short | None = None
    name: Short | None = None
    stationed_unit_id: Id | None = None


class GroupBody(Model):
    """A grid party group to set up."""

    community_code: RequiredShort
    name: RequiredShort
    build_type: Short | None = None
    grid_codes: list[Short] | None = Field(None, max_length=100)
    partners: list[Partner] | None = Field(None, max_length=50)
    established_on: Day | None = None


class GroupPatch(Model):
    """Changes to a live group."""

    name: Short | None = None
    grid_codes: list[Short] | None = Field(None, max_length=100)


class Group(Out):
    """A grid party group."""

    id: int
    community_code: str
    name: str
    build_type: str
    grid_codes: list[str]
    partners: list[dict[str, Any]]


class Person(Out):
    """A member or worker (phone and id_number masked unless revealed)."""

    id: int
    name: str


class Worker(Person):
    """A grid worker with grids."""

    grid_codes: list[str]
    primary_grid: str | None


class MemberBody(Model):
    """A party member to add."""

    community_code: RequiredShort
    name: RequiredShort
    kind: Short | None = None
    role: Short | None = None
    phone: Short | None = None
    id_number: Short | None = None
    home_unit: Short | None = None
    reported_on: Day | None = None
    group_id: Id | None = None
    grid_code: Short | None = None


class MemberMove(Model):
    """Where a member moves."""

    group_id: Id | None = None
    grid_code: Short | None = None
    role: Short | None = None


class WorkerBody(Model):
    """A grid worker to add."""

    community_code: RequiredShort
    name: RequiredShort
    kind: Short | None = None
    phone: Short | None = None
    id_number: Short | None = None
    grid_codes: list[Short] | None = Field(None, max_length=100)
    primary_grid: Short | None = None
    username: Short | None = None


class WorkerGrids(Model):
    """A worker's grids."""

    grid_codes: list[Short] = Field(max_length=100)
    primary_grid: Short | None = None


class RatingBody(Model):
    """A star rating of a group or a community."""

    group_id: Id | None = None
    community_code: Short | None = None
    stars: int = Field(ge=1, le=5)
    rated_on: Day | None = None
    note: Text | None = None


class Rating(Out):
    """A recorded rating."""

    id: int
    stars: int
    rated_on: str
    group_id: int | None
    community_code: str | None


class UnitBody(Model):
    """A stationed unit (驻区单位)."""

    community_code: RequiredShort
    name: RequiredShort
    unit_type: Short | None = None
    seat_person: Short | None = None
    seat_title: Short | None = None
    seat_start_on: Day | None = None


class StationedUnit(Out):
    """A stationed unit and its seats."""

    id: int
    community_code: str
    name: str
    seats: list[str]


class AuditQuery(Model):
    """The community of the audit trail."""

    community_code: Short


class AuditRow(Out):
    """One audit row."""

    id: int
    at: str
    action: str
