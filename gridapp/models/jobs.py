"""Long jobs run by the job worker (imports, exports) with their progress. Times are UTC."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..jobs.rules import JOB_KINDS, JOB_STATES


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class LongJob(db.Model):
    """A long job (``kind`` import | export, :mod:`gridapp.jobs.longjob`): ``status`` queued →
    running → done | failed | cancelled, ``done`` of ``total`` rows, cancellation asked
    (``cancel_requested``); ``path``: an import's waiting file, an export's written file;
    ``filename``: the file's name for people; ``options`` what to do, ``result`` what was done;
    ``created_by`` the user who asked (an export job is theirs alone)."""

    __tablename__ = "long_jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATES), name="ck_long_jobs_status"),
        CheckConstraint(_in("kind", JOB_KINDS), name="ck_long_jobs_kind"),
        Index("ix_long_jobs_owner", "created_by", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    path: Mapped[str | None] = mapped_column(String(400))
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
