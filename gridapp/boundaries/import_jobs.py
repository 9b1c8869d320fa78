"""Long imports as jobs (issue 22): the file waits on disk, a worker runs the import
(:func:`gridapp.boundaries.imports.import_file`: one transaction, nothing written on a refusal,
a failure or a cancellation), progress (rows checked / rows in all) is written beside it on a
connection of its own so that a page can show it while the import's transaction is open — the
one mechanism of long jobs, :mod:`gridapp.jobs.longjob`.

States: queued → running → done | failed | cancelled. :func:`cancel` asks; the running import
stops at its next progress report and rolls back."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _

from ..extensions import db
from ..jobs import longjob
from ..jobs.rules import JOB_FINISHED
from ..models import LongJob, User
from .import_options import ImportOptions
from .imports import import_file, require_admin
from .rules import IMPORT_JOB_REFUSED_KEPT

#: The job runner's name of this kind of long job (gridapp.jobs.runner.RUNNERS).
KIND = "import"
FINISHED = JOB_FINISHED


def start(user: User, data: bytes, filename: str, options: ImportOptions, folder: Path,
          now: datetime | None = None) -> LongJob:
    """Keep the file in ``folder`` and queue its import as a job (the job row and the worker's job
    are committed together). Admin only (Forbidden 403). Returns the job (status queued)."""
    require_admin(user)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(filename or '').suffix[:10]}"
    path.write_bytes(data)
    stored = {k: v for k, v in dataclasses.asdict(options).items() if k != "progress"}
    job = longjob.queue(KIND, user, filename or "", stored, str(path), now)
    db.session.commit()
    return job


def get_job(user: User, job_id) -> LongJob:
    """The import job ``job_id`` (admin only: 403; 404 when absent)."""
    require_admin(user)
    return longjob.find(KIND, job_id, lambda i: _("导入任务 %(id)s 不存在", id=i))


def cancel(user: User, job_id) -> LongJob:
    """Ask a queued or running job to stop (one transaction); Conflict 409 ``job_finished`` when it
    has finished. The import stops at its next progress report, writing nothing."""
    return longjob.request_cancel(get_job(user, job_id), _("导入任务已结束，不能取消"))


def job_dict(job: LongJob) -> dict:
    """JSON of a job (:func:`gridapp.jobs.longjob.job_dict`); ``result``: the import report,
    refused rows cut to the first 200."""
    return longjob.job_dict(job)


def run(job_id: int) -> None:
    """Run the import job ``job_id`` (the worker's task): status running, the import in one
    transaction with progress reports, then done (the report kept), failed (the reason) or
    cancelled (nothing written). The waiting file is removed."""
    job = db.session.get(LongJob, job_id)
    path = Path(job.path) if job is not None and job.path else None
    job = longjob.begin(job_id, path)
    if job is None:
        return

    def progress(done: int, total: int) -> None:
        longjob.report(job_id, done=done, total=total)

    user = db.session.get(User, job.created_by)
    stored = dict(job.options or {})
    options = ImportOptions(**{**stored, "extent": tuple(stored.get("extent") or ()), "progress": progress})
    db.session.rollback()  # nothing of the import's transaction started yet
    try:
        report = import_file(user, path.read_bytes(), job.filename, options)
    except longjob.Cancelled:
        return longjob.finish(job_id, "cancelled", path, path=None)
    except Exception as err:  # noqa: BLE001 - a job always ends in a state the page shows
        return longjob.finish(job_id, "failed", path, path=None, error=longjob.error_text(err))
    refused = report["refused"]
    report = {**report, "refused": refused[:IMPORT_JOB_REFUSED_KEPT], "refused_count": len(refused)}
    longjob.finish(job_id, "done", path, path=None, result=report)
