"""A large list's export as a long job (issue 23; the one mechanism of long jobs,
:mod:`gridapp.jobs.longjob`): the export URL of a list of more than
:data:`~gridapp.exports.rules.EXPORT_JOB_ROWS` rows (or asked with ``?job=1``) queues a job
instead of streaming; the worker writes the file through the same writers
(:mod:`gridapp.core.exportfiles`, constant memory) into the export folder, reporting progress
(rows written / rows in all) every :data:`~gridapp.exports.rules.EXPORT_PROGRESS_ROWS` rows.

* The rows are those of the list for the stored filters and the owner's role and scope when the
  job runs (the table is built by :func:`gridapp.exports.lists.table_of`, as the streamed export's);
  personal values masked unless ``reveal`` was asked by a role that may (then each value is
  logged as for the streamed export).
* The file is written as ``<name>.part`` and renamed when complete: a cancellation or a failure
  deletes it (no partial file is ever served); a failure records its reason.
* A job and its file are its owner's alone (404 for anyone else); the file is served for
  :data:`~gridapp.exports.rules.EXPORT_KEPT_HOURS` hours after it was written, then :func:`clean`
  (the worker's periodic tick) deletes it.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..core.clock import local_date, utcnow
from ..core.errors import NotFound
from ..core.exportfiles import MIMETYPES, ExportRow, ExportTable, chunks_of, count_rows, file_name
from ..extensions import db
from ..jobs import longjob
from ..models import LongJob, User
from . import rules
from .lists import LIST_NAMES, table_of

#: The job runner's name of this kind of long job (gridapp.jobs.runner.RUNNERS).
KIND = "export"


def needs_job(table: ExportTable, forced: bool = False) -> bool:
    """Whether the table is exported by a job: ``forced``, or it holds more than
    :data:`~gridapp.exports.rules.EXPORT_JOB_ROWS` rows (counted up to one more: cheap)."""
    limit = rules.EXPORT_JOB_ROWS
    return forced or count_rows(table, db.session, limit + 1) > limit


def start(user: User, table: ExportTable, name: str, fmt: str, args: dict, reveal: bool, for_excel: bool,
          folder: Path, now: datetime | None = None) -> LongJob:
    """Queue the export of the list ``name`` (its ``table`` already built for ``args``: filters
    checked) in ``fmt`` as a job of ``user`` (one transaction); the file will be written in
    ``folder``. Returns the job (status queued)."""
    now = now or utcnow()
    options = {"list": name, "format": fmt, "args": args, "reveal": reveal, "excel": for_excel}
    path = folder / f"{uuid.uuid4().hex}.{fmt}"
    job = longjob.queue(KIND, user, file_name(table, fmt, local_date(now)), options, str(path), now)
    db.session.commit()
    return job


def get_job(user: User, job_id) -> LongJob:
    """The export job ``job_id`` of ``user`` (NotFound 404 when absent or another user's)."""
    return longjob.find(KIND, job_id, lambda i: _("导出任务 %(id)s 不存在", id=i), owner=user)


def cancel(user: User, job_id) -> LongJob:
    """Ask the user's queued or running export to stop (one transaction); Conflict 409
    ``job_finished`` when it has finished. The partial file is deleted when it stops."""
    return longjob.request_cancel(get_job(user, job_id), _("导出任务已结束，不能取消"))


def expires_at(job: LongJob) -> datetime | None:
    """When a finished export's file stops being served (None before it is finished)."""
    return job.finished_at + timedelta(hours=rules.EXPORT_KEPT_HOURS) if job.finished_at else None


def available(job: LongJob, now: datetime | None = None) -> bool:
    """Whether the job's file may be downloaded: done, kept, not yet expired."""
    return job.status == "done" and job.path is not None and (now or utcnow()) < expires_at(job)


def job_dict(job: LongJob, now: datetime | None = None) -> dict:
    """JSON of an export job (:func:`gridapp.jobs.longjob.job_dict`) with ``list`` (its name),
    ``list_name``, ``format``, ``available`` (the file can be downloaded) and ``expires_at`` (UTC)."""
    options = job.options or {}
    expiry = expires_at(job)
    name = options.get("list")
    return {**longjob.job_dict(job), "list": name, "list_name": str(LIST_NAMES.get(name, name)),
            "format": options.get("format"), "available": available(job, now),
            "expires_at": expiry.isoformat() if expiry else None}


def my_jobs(user: User, limit: int = 50) -> list[LongJob]:
    """The user's own export jobs, newest first (at most ``limit``)."""
    return list(db.session.scalars(select(LongJob).where(LongJob.kind == KIND, LongJob.created_by == user.id)
                                   .order_by(LongJob.id.desc()).limit(limit)))


def download(user: User, job_id, now: datetime | None = None) -> tuple[Path, str, str]:
    """The file of the user's finished export job: (path, download name, MIME type). NotFound 404
    when the job is not theirs, not done, or its file has expired or is gone."""
    job = get_job(user, job_id)
    if not available(job, now) or not Path(job.path).is_file():
        raise NotFound(_("导出文件不存在或已过期"), code="export_file_gone")
    return Path(job.path), job.filename, MIMETYPES[job.options["format"]]


def _reported(job_id: int, rows: Iterable[ExportRow], written: list[int]) -> Iterator[ExportRow]:
    """The rows, counted into ``written[0]``; progress reported every so many rows (which raises
    Cancelled when the job's cancellation was asked)."""
    for row in rows:
        yield row
        written[0] += 1
        if written[0] % rules.EXPORT_PROGRESS_ROWS == 0:
            longjob.report(job_id, done=written[0])


def run(job_id: int) -> None:
    """Run the export job ``job_id`` (the worker's task): count the rows, write the file (as
    ``.part``, renamed when complete) with progress reports, then done (rows and bytes in its
    result), cancelled or failed (its reason) — the partial file deleted."""
    job = longjob.begin(job_id)
    if job is None:
        return
    path = Path(job.path)
    part = path.with_name(path.name + ".part")
    options, written = job.options, [0]
    try:
        table = table_of(options["list"], db.session.get(User, job.created_by), options["args"], options["reveal"])
        longjob.report(job_id, total=count_rows(table, db.session))
        path.parent.mkdir(parents=True, exist_ok=True)
        with part.open("wb") as out:
            for chunk in chunks_of(replace(table, rows=_reported(job_id, table.rows, written)), options["format"],
                                   options["excel"]):
                out.write(chunk)
        part.replace(path)
    except longjob.Cancelled:
        return longjob.finish(job_id, "cancelled", part, path=None)
    except Exception as err:  # noqa: BLE001 - a job always ends in a state the page shows
        return longjob.finish(job_id, "failed", part, path=None, error=longjob.error_text(err))
    longjob.finish(job_id, "done", None, done=written[0], total=written[0],
                   result={"rows": written[0], "bytes": path.stat().st_size})


def clean(now: datetime) -> dict:
    """The periodic clean-up (one transaction): the files of export jobs finished more than
    :data:`~gridapp.exports.rules.EXPORT_KEPT_HOURS` hours before ``now`` are deleted (their
    ``path`` cleared); jobs still queued or running that long are ended as failed, any partial
    file deleted. Returns the counts."""
    before = now - timedelta(hours=rules.EXPORT_KEPT_HOURS)
    old = select(LongJob).where(LongJob.kind == KIND, LongJob.path.is_not(None))
    expired = list(db.session.scalars(old.where(LongJob.status == "done", LongJob.finished_at < before)))
    stuck = list(db.session.scalars(old.where(LongJob.status.in_(("queued", "running")),
                                              LongJob.created_at < before)))
    for job in expired + stuck:
        for file in (Path(job.path), Path(job.path + ".part")):
            file.unlink(missing_ok=True)
    if expired:
        db.session.execute(update(LongJob).where(LongJob.id.in_([j.id for j in expired])).values(path=None))
    if stuck:
        db.session.execute(update(LongJob).where(LongJob.id.in_([j.id for j in stuck]))
                           .values(path=None, status="failed", finished_at=now,
                                   error=_("导出未在 %(hours)s 小时内完成", hours=rules.EXPORT_KEPT_HOURS)))
    db.session.commit()
    return {"export_files_deleted": len(expired), "export_jobs_ended": len(stuck)}
