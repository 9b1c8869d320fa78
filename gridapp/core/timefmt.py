"""Times: stored in UTC, shown in the configured time zone (Asia/Shanghai)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime


def local_text(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """Render an aware UTC datetime in the configured time zone (BABEL_DEFAULT_TIMEZONE)."""
    return "" if value is None else format_datetime(value, fmt)
