"""Long imports as jobs (issue 22): the file waits on disk, a worker runs the import
(:func:`gridapp.boundaries.imports.import_file`: one transaction, nothing written on a refusal,
a failure or a cancellation), progress (rows checked / rows in all) is written beside it on a
connection of its own so that a page can show it while the import's transaction is open.

States: queued → running → done | failed | cancelled. :func:`cancel` asks; the running import
stops at its next progress report and rolls back."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..core.casework import find_in_scope
from ..core.clock import utcnow
from ..core.errors import Conflict, DomainError
from ..extensions import db
from ..jobs.queue import defer_in_transaction
from ..models import ImportJob, User
from .import_options import ImportOptions
from .imports import import_file, require_admin
from .rules import IMPORT_JOB_REFUSED_KEPT

#: The job runner's name of this kind of long job (gridapp.jobs.runner.RUNNERS).
KIND = "import"
FINISHED = ("done", "failed", "cancelled")


class Cancelled(Exception):
    """Raised inside a running import when its cancellation was asked."""


def start(user: User, data: bytes, filename: str, options: ImportOptions, folder: Path,
          now: datetime | None = None) -> ImportJob:
    """Keep the file in ``folder`` and queue its import as a job (the job row and the worker's job
    are committed together). Admin only (Forbidden 403). Returns the job (status queued)."""
    require_admin(user)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(filename or '').suffix[:10]}"
    path.write_bytes(data)
    stored = {k: v for k, v in dataclasses.asdict(options).items() if k != "progress"}
    job = ImportJob(kind=KIND, filename=(filename or "")[:200], path=str(path), options=stored, status="queued",
                    done=0, cancel_requested=False, result={}, created_by=user.id, created_at=now or utcnow())
    db.session.add(job)
    db.session.flush()
    defer_in_transaction("long_job", kind=KIND, job_id=job.id)
    db.session.commit()
    return job


def get_job(user: User, job_id) -> ImportJob:
    """The import job ``job_id`` (admin only: 403; 404 when absent)."""
    require_admin(user)
    return find_in_scope(ImportJob, ImportJob.kind == KIND, job_id, "job_not_found",
                         lambda i: _("导入任务 %(id)s 不存在", id=i))


def cancel(user: User, job_id) -> ImportJob:
    """Ask a queued or running job to stop (one transaction); Conflict 409 ``job_finished`` when it
    has finished. The import stops at its next progress report, writing nothing."""
    job = get_job(user, job_id)
    if job.status in FINISHED:
        raise Conflict(_("导入任务已结束，不能取消"), code="job_finished")
    job.cancel_requested = True
    db.session.commit()
    return job


def job_dict(job: ImportJob) -> dict:
    """JSON of a job: id, status, done, total (None until the file is read), percent, filename,
    error, result (the import report; refused rows cut to the first 200), times (UTC)."""
    percent = round(100 * job.done / job.total) if job.total else (100 if job.status == "done" else 0)
    return {"id": job.id, "status": job.status, "done": job.done, "total": job.total, "percent": percent,
            "filename": job.filename, "error": job.error, "result": job.result or {},
            "cancel_requested": job.cancel_requested, "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


def _side(job_id: int, **values) -> bool:
    """Write ``values`` on the job row on a connection of its own (committed at once, whatever the
    import's transaction does); returns whether cancellation was asked."""
    with db.engine.connect() as conn:
        if values:
            conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
        asked = conn.execute(select(ImportJob.cancel_requested).where(ImportJob.id == job_id)).scalar_one()
        conn.commit()
    return bool(asked)


def run(job_id: int) -> None:
    """Run the import job ``job_id`` (the worker's task): status running, the import in one
    transaction with progress reports, then done (the report kept), failed (the reason) or
    cancelled (nothing written). The waiting file is removed."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status in FINISHED:
        return
    path = Path(job.path) if job.path else None
    if _side(job_id, status="running"):
        return _finish(job_id, path, "cancelled")

    def progress(done: int, total: int) -> None:
        if _side(job_id, done=done, total=total):
            raise Cancelled

    user = db.session.get(User, job.created_by)
    stored = dict(job.options or {})
    options = ImportOptions(**{**stored, "extent": tuple(stored.get("extent") or ()), "progress": progress})
    db.session.rollback()  # nothing of the import's transaction started yet
    try:
        report = import_file(user, path.read_bytes(), job.filename, options)
    except Cancelled:
        return _finish(job_id, path, "cancelled")
    except DomainError as err:
        return _finish(job_id, path, "failed", error=err.message)
    except Exception as err:  # noqa: BLE001 - a job always ends in a state the page shows
        return _finish(job_id, path, "failed", error=f"{type(err).__name__}: {err}"[:500])
    refused = report["refused"]
    report = {**report, "refused": refused[:IMPORT_JOB_REFUSED_KEPT], "refused_count": len(refused)}
    _finish(job_id, path, "done", result=report)


def _finish(job_id: int, path: Path | None, status: str, **values) -> None:
    db.session.rollback()
    _side(job_id, status=status, finished_at=utcnow(), path=None, **values)
    if path is not None:
        path.unlink(missing_ok=True)
