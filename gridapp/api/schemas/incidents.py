"""Schemas of incidents, the closed loop of a case, photos, areas, grids and locating a point."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from ...boundaries.areas import GEOJSON_PRECISION, PRECISION
from ...incidents.rules import ACTIONS, STATE_NAMES
from .common import (
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
    Upload,
)

PhotoRef = Short
CaseState = Literal[tuple(STATE_NAMES)]  # type: ignore[valid-type]
CaseAction = Literal[tuple(ACTIONS)]  # type: ignore[valid-type]


class TokenRequest(Model):
    """Credentials for a bearer token."""

    username: RequiredShort
    password: Short


class Token(Out):
    """A bearer token and its expiry (UTC)."""

    token: str
    token_type: Literal["Bearer"]
    expires_at: datetime


class AreasQuery(Model):
    """``level`` of the areas and ``precision`` (decimals of the coordinates)."""

    level: Literal["district", "township", "community"] = "district"
    precision: int = Field(GEOJSON_PRECISION, ge=0, le=PRECISION,
                           description="decimal places of degrees (default 7 ≈ 1 cm)")


class GridsQuery(Model):
    """Narrow to one community."""

    community_code: Short | None = None


class LocateQuery(Model):
    """A WGS84 point."""

    lon: Lon
    lat: Lat


class Location(Out):
    """The units a point lies in (grid_code null in a village)."""

    grid_code: str | None
    community_code: str
    township_code: str
    district_code: str


class IncidentReport(Model):
    """A report (上报): category, description and the WGS84 point; photos from POST /photos."""

    ERROR_CODES = {"lon": "invalid_coordinates", "lat": "invalid_coordinates", "category_code": "invalid_category"}

    category_code: RequiredShort = Field(max_length=8)
    description: Required
    lon: Lon
    lat: Lat
    photos: list[PhotoRef] | None = Field(None, max_length=20)
    accuracy_m: float | None = Field(None, ge=0, le=100000,
                                     description="the point's GPS accuracy in metres (issue 19)")


class Candidate(Out):
    """A possible duplicate."""

    id: int
    distance_m: float
    status: str


class IncidentCreated(Out):
    """The new case."""

    id: int
    grid_code: str | None
    community_code: str | None
    status: str
    reported_at: datetime
    possible_duplicates: list[Candidate]


class IncidentFilters(Period):
    """The filters of the incident list and its clusters."""

    state: Short | None = Field(None, description="comma-separated states", examples=["filed,dispatched"])
    category: Short | None = Field(None, description="category code (prefix)")
    grid: Short | None = None
    community: Short | None = None
    overdue: Flag | None = None
    mine: Flag | None = Field(None, description="only cases dispatched to the caller or their department")
    reported_by_me: Flag | None = Field(None, description="only cases the caller reported (我的上报)")


class IncidentQuery(IncidentFilters, Paging):
    """Filters and a page of incidents."""

    bbox: Short | None = Field(None, description="min_lon,min_lat,max_lon,max_lat (WGS84)")


class ClusterQuery(IncidentFilters):
    """A map view: bbox and zoom, and the incident filters."""

    bbox: Short = Field(description="min_lon,min_lat,max_lon,max_lat (WGS84)")
    zoom: int = Field(ge=0, le=22)


class DuplicatesQuery(Model):
    """A category and a WGS84 point."""

    category_code: Short
    lon: Lon
    lat: Lat


class DuplicateCandidates(Out):
    """Open cases of the category within 50 m reported in the last 7 days, nearest first."""

    candidates: list[dict[str, Any]]


class CaseActionBody(Model):
    """An action's parameters (all optional; each action reads its own)."""

    version: Int4 | None = Field(None, description="the version the caller saw; stale → 409")
    note: Text | None = None
    attachments: list[PhotoRef] | None = Field(None, max_length=20)
    department_code: Short | None = None
    handler: Short | None = None
    passed: bool | None = None
    rating: int | None = Field(None, ge=1, le=5)
    hours: int | None = Field(None, ge=1, le=720)
    approved: bool | None = None
    into: Id | None = Field(None, description="merge: the case this one duplicates")


class HistoryEntry(Out):
    """One step of a case's history."""

    action: str


class Case(Out):
    """One case with state, version, deadline, flags, allowed actions and history."""

    id: int
    status: str
    state: CaseState
    version: int
    category_code: str
    description: str
    lon: float
    lat: float
    grid_code: str | None
    community_code: str | None
    reported_at: datetime
    deadline_at: datetime | None
    overdue: bool
    allowed_actions: list[str]
    history: list[HistoryEntry]


class KpiQuery(Period):
    """An area and a period."""

    level: Literal["grid", "community", "township", "district"]
    code: Short


class Kpi(Out):
    """KPIs of an area and period (definitions in the README)."""

    level: str
    code: str
    rates: dict[str, Any]


class PhotoForm(Model):
    """One photo file (multipart)."""

    file: Upload = None


class PhotoGps(Out):
    """EXIF position (WGS84)."""

    lon: float
    lat: float


class Photo(Out):
    """A stored photo: its ref for ``photos`` / ``attachments``."""

    ref: str = Field(examples=["photo:<sha256>"])
    content_type: str
    size: int
    width: int | None
    height: int | None
    gps: PhotoGps | None


class CaseActionPath(Model):
    """A case and one action of the closed loop."""

    incident_id: Id
    action: CaseAction
