"""The one mechanism of long jobs (imports, exports: a row of ``long_jobs``, model
:class:`gridapp.models.LongJob`): queued with the worker's job in the caller's transaction,
progress (rows done / rows in all) and cancellation read and written on a connection of its own —
so a page sees them while the job's own transaction is open — and one way to end.

States (:data:`gridapp.jobs.rules.JOB_STATES`): queued → running → done | failed | cancelled.
:func:`request_cancel` asks; the running job stops at its next :func:`report` (which raises
:class:`Cancelled`). A kind's runner (``gridapp.jobs.runner.RUNNERS``) is::

    job = longjob.begin(job_id)          # None: nothing to do (absent, finished, cancelled)
    ... longjob.report(job_id, done=n, total=t) every so many rows ...
    longjob.finish(job_id, "done", result={...})   # or "failed" / "cancelled"
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update

from ..core.casework import find_in_scope
from ..core.clock import utcnow
from ..core.errors import Conflict
from ..extensions import db
from ..models import LongJob, User
from .queue import defer_in_transaction
from .rules import JOB_FINISHED


class Cancelled(Exception):
    """Raised inside a running job by :func:`report` when its cancellation was asked."""


def queue(kind: str, user: User, filename: str, options: dict, path: str | None = None,
          now: datetime | None = None) -> LongJob:
    """Add the job row (status queued, asked by ``user``) and defer the worker's ``long_job`` task
    for it in the current transaction; the caller commits (both exist, or neither)."""
    job = LongJob(kind=kind, filename=filename[:200], path=path, options=options, status="queued", done=0,
                  cancel_requested=False, result={}, created_by=user.id, created_at=now or utcnow())
    db.session.add(job)
    db.session.flush()
    defer_in_transaction("long_job", kind=kind, job_id=job.id)
    return job


def find(kind: str, job_id, message: Callable[[str], str], owner: User | None = None) -> LongJob:
    """The job ``job_id`` of ``kind`` (``owner`` given: only theirs). NotFound 404
    ``job_not_found`` with ``message(id)`` otherwise (absent and not theirs look the same)."""
    condition = LongJob.kind == kind
    if owner is not None:
        condition = condition & (LongJob.created_by == owner.id)
    return find_in_scope(LongJob, condition, job_id, "job_not_found", message)


def request_cancel(job: LongJob, finished_message: str) -> LongJob:
    """Ask a queued or running job to stop (one transaction); Conflict 409 ``job_finished``
    (``finished_message``) when it has finished."""
    if job.status in JOB_FINISHED:
        raise Conflict(finished_message, code="job_finished")
    job.cancel_requested = True
    db.session.commit()
    return job


def percent(job: LongJob) -> int:
    """Rows done in per cent of the rows in all (0 until counted; 100 once done)."""
    if job.total:
        return min(100, round(100 * job.done / job.total))
    return 100 if job.status == "done" else 0


def job_dict(job: LongJob) -> dict:
    """JSON of a job: id, kind, status, done, total (None until counted), percent, filename,
    error, result, cancel_requested, created_at, finished_at (UTC, ISO 8601)."""
    return {"id": job.id, "kind": job.kind, "status": job.status, "done": job.done, "total": job.total,
            "percent": percent(job), "filename": job.filename, "error": job.error, "result": job.result or {},
            "cancel_requested": job.cancel_requested, "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


def report(job_id: int, **values) -> None:
    """Write ``values`` (done, total, status …) on the job's row on a connection of its own
    (committed at once, whatever the job's transaction does); raises :class:`Cancelled` when the
    job's cancellation was asked."""
    with db.engine.connect() as conn:
        if values:
            conn.execute(update(LongJob).where(LongJob.id == job_id).values(**values))
        asked = conn.execute(select(LongJob.cancel_requested).where(LongJob.id == job_id)).scalar_one()
        conn.commit()
    if asked:
        raise Cancelled


def begin(job_id: int, remove: Path | None = None) -> LongJob | None:
    """The job's row, now running; None when there is nothing to run: absent, finished, or
    cancelled before it began (then ended as cancelled, ``remove`` deleted, ``path`` cleared)."""
    job = db.session.get(LongJob, job_id)
    if job is None or job.status in JOB_FINISHED:
        return None
    try:
        report(job_id, status="running")
    except Cancelled:
        finish(job_id, "cancelled", remove, path=None)
        return None
    return job


def finish(job_id: int, status: str, remove: Path | None = None, **values) -> None:
    """End the job: roll back whatever its transaction holds, write ``status`` (done | failed |
    cancelled), the time and ``values`` on its row, and delete the file ``remove`` (if any)."""
    db.session.rollback()
    with db.engine.connect() as conn:
        conn.execute(update(LongJob).where(LongJob.id == job_id)
                     .values(status=status, finished_at=utcnow(), **values))
        conn.commit()
    if remove is not None:
        remove.unlink(missing_ok=True)


def error_text(err: Exception) -> str:
    """A failure as the job's ``error``: a refusal's own message, else the exception's type and
    text (cut to 500 characters)."""
    message = getattr(err, "message", None)
    return message if isinstance(message, str) else f"{type(err).__name__}: {err}"[:500]
