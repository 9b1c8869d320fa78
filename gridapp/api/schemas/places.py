"""Schemas of places, inspections, campaigns, rectification notices, figures and notifications."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from .common import AreaPeriod, Day, Id, Int4, Lat, Lon, Model, Out, Required, RequiredShort, Short, Text, Upload


class PlacesQuery(Model):
    """Filters of the place layer."""

    type: Short | None = None
    status: Short | None = None


class PlaceBody(Model):
    """A place to register."""

    name: RequiredShort
    type: RequiredShort = Field(description="type code or name")
    operator: Short | None = None
    licence_no: Short | None = None
    lon: Lon
    lat: Lat
    risk_level: Short | None = None
    status: Short | None = None


class Place(Out):
    """A place (without geometry)."""

    id: int
    name: str
    type_code: str
    status: str
    grid_code: str | None
    community_code: str | None
    version: int


class PlaceWithTimeline(Place):
    """A place and its timeline (oldest first)."""

    timeline: list[dict[str, Any]]


class UploadForm(Model):
    """One uploaded file (multipart field ``file``)."""

    file: Upload = None


class Written(Out):
    """How many rows were written."""

    written: int


class PlaceType(Out):
    """A place type and its checklist."""

    code: str
    name: str
    checklist: list[Any]


class PlaceTypes(Out):
    """The place types."""

    types: list[PlaceType]


class PlaceTypeBody(Model):
    """A place type to create or edit."""

    name: RequiredShort
    checklist: list[Short] | None = Field(None, max_length=200)


class NoticeRequest(Model):
    """A rectification notice to issue on a visit."""

    requirements: Required
    deadline: Day


class Visit(Model):
    """One visit of an inspection."""

    place_id: Id
    checklist: dict[Short, Short] | None = Field(None, description='item → pass | fail | na')
    findings: Text | None = None
    attachments: list[Short] | None = Field(None, max_length=20)
    notice: NoticeRequest | None = None


class InspectionBody(Model):
    """An inspection with its visits."""

    kind: Short | None = None
    campaign_id: Id | None = None
    department: Short | None = None
    members: list[Short] | None = Field(None, max_length=50)
    vehicle_trips: Int4 | None = None
    visits: list[Visit] = Field(max_length=200)


class NoticeRef(Out):
    """An issued notice."""

    id: int
    number: str


class InspectionCreated(Out):
    """The recorded inspection and the notices it issued."""

    id: int
    notices: list[NoticeRef]


class CampaignBody(Model):
    """A campaign (专项整治行动)."""

    name: RequiredShort
    area_code: RequiredShort
    starts_on: Day
    ends_on: Day
    description: Text | None = None


class Created(Out):
    """The id of the new row."""

    id: int


class Notice(Out):
    """A rectification notice with allowed actions."""

    id: int
    number: str
    place_id: int
    deadline_at: datetime
    status: str
    overdue: bool
    version: int
    allowed_actions: list[str]


class NoticeActionBody(Model):
    """A notice action's parameters."""

    version: Int4 | None = None
    note: Text | None = None
    passed: bool | None = None
    measure: Short | None = None
    approved: bool | None = None


class FiguresQuery(AreaPeriod):
    """An area, a period, a campaign; ``format=xlsx`` for the workbook."""

    campaign_id: Id | None = None
    format: Short | None = None


class NotificationsQuery(Model):
    """``unread=1`` for unread ones only."""

    unread: Short | None = None


class Notification(Out):
    """A notification."""

    id: int
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None


class Notifications(Out):
    """The caller's notifications, newest first."""

    unread: int
    items: list[Notification]


class ReadBody(Model):
    """One notification (``id``) or all (``{}``)."""

    id: Id | None = None


class Marked(Out):
    """How many were marked read."""

    marked: int


class Figures(Out):
    """Figures of inspections and rectification (definitions in the README)."""
