"""The clock: times are stored in UTC and read in the local zone (Asia/Shanghai by default).

The local zone is set once, from the ``LOCAL_TIMEZONE`` setting, by :func:`configure` (called by
:func:`gridapp.create_app`); every local date in the product (deadlines that end a local day, the
days of a report, "due today") is read through :func:`local_zone`.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT_ZONE)


def configure(zone_name: str | None) -> None:
    """Set the local zone (an IANA name such as ``Asia/Shanghai``; None keeps the default).
    Raises ``zoneinfo.ZoneInfoNotFoundError`` for an unknown name."""
    global _zone
    _zone = ZoneInfo(zone_name or DEFAULT_ZONE)


def local_zone() -> ZoneInfo:
    """The local zone of the product (see :func:`configure`)."""
    return _zone


def utcnow() -> datetime:
    """The current time, aware, UTC."""
    return datetime.now(UTC)


def local_day_start(day: date) -> datetime:
    """The start of the local calendar ``day`` (00:00 in the local zone) as an aware UTC time."""
    return datetime(day.year, day.month, day.day, tzinfo=_zone).astimezone(UTC)


def local_day_end(day: date) -> datetime:
    """The last second of the local calendar ``day`` (23:59:59 local) as an aware UTC time."""
    return local_day_start(day) + timedelta(days=1, seconds=-1)


def local_date(moment: datetime) -> date:
    """The local calendar date of an aware time."""
    return moment.astimezone(_zone).date()


def day_range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Local dates (both inclusive; None: open) → the UTC interval [start, end)."""
    return (local_day_start(start) if start else None,
            local_day_start(end) + timedelta(days=1) if end else None)
