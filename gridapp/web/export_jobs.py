"""Export jobs' pages (issue 23): 我的导出 ``/exports`` (the user's own export jobs), one job's
page with its progress bar (rows written / rows in all, from its JSON — the page survives a
reload), a cancel button, and once done the download of its file. Every route serves the job's
owner only (404 for anyone else)."""
from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..downloads import file_response
from ..exports import jobs as export_jobs
from ..exports.rules import EXPORT_KEPT_HOURS
from . import bp
from .jobpages import cancel_from_page, job_json


@bp.route("/exports")
@login_required
def export_jobs_page():
    """我的导出: the user's export jobs, newest first, with their state and download links."""
    jobs = [export_jobs.job_dict(job) for job in export_jobs.my_jobs(current_user)]
    return render_template("exports/jobs.html", jobs=jobs, kept_hours=EXPORT_KEPT_HOURS)


@bp.route("/exports/<int:job_id>")
@login_required
def export_job_page(job_id: int):
    """One export job: its progress bar refreshed from the JSON below while it runs, its outcome,
    a cancel button, and the download link once done."""
    return render_template("exports/job.html", job=export_jobs.job_dict(export_jobs.get_job(current_user, job_id)))


@bp.route("/exports/<int:job_id>.json")
@login_required
def export_job_json(job_id: int):
    """The job as JSON (:func:`gridapp.exports.jobs.job_dict`), polled by its page."""
    return job_json(export_jobs.job_dict(export_jobs.get_job(current_user, job_id)))


@bp.post("/exports/<int:job_id>/cancel")
@login_required
def export_job_cancel(job_id: int):
    """Cancel a queued or running export job (CSRF form); its partial file is deleted."""
    return cancel_from_page(lambda: export_jobs.cancel(current_user, job_id), _("已请求取消导出。"),
                            url_for("web.export_job_page", job_id=job_id))


@bp.route("/exports/<int:job_id>/file")
@login_required
def export_job_file(job_id: int):
    """The finished job's file, as an attachment (its owner only; 404 once expired)."""
    return file_response(*export_jobs.download(current_user, job_id))
