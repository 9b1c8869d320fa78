"""Boundary pages: the admin upload (import) page with its report, and the coverage check."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts import audit
from ..boundaries import areas, import_jobs, imports
from ..coverage import check as coverage_check
from ..coverage import rules as coverage_rules
from ..errors import DomainError
from ..maps import CoverageProblems, render_parts
from ..settings import import_dir
from . import bp, page_base_map
from .forms import ImportForm
from .jobpages import cancel_from_page, job_json


@bp.route("/admin/imports", methods=["GET", "POST"])
@login_required
def import_page():
    """Admin upload page: the same options and report as POST /api/v1/imports (403 for others)."""
    if current_user.role != "admin":
        abort(403)
    form = ImportForm()
    report, error, status = None, None, 200
    if form.validate_on_submit():
        data = {name: field.data for name, field in form._fields.items() if name not in ("file", "csrf_token")}
        data["repair"], data["gcj02"] = int(bool(form.repair.data)), int(bool(form.gcj02.data))
        try:
            options = imports.parse_options(data, current_app.config["IMPORT_EXTENT"])
            upload = form.file.data
            if form.as_job.data:
                job = import_jobs.start(current_user, upload.read(), upload.filename or "", options, import_dir())
                return redirect(url_for("web.import_job_page", job_id=job.id))
            report = imports.import_file(current_user, upload.read(), upload.filename or "", options)
            status = 422 if report["refused"] else 200
        except DomainError as err:  # import_file has rolled back whatever it began
            error, status = err.message, err.status
    elif form.is_submitted():
        status = 400
    runs = audit.entries(current_user, {"action": "import", "per_page": 10})["items"]
    return render_template("boundaries/imports.html", form=form, report=report, error=error, runs=runs), status


@bp.route("/admin/imports/jobs/<int:job_id>")
@login_required
def import_job_page(job_id: int):
    """One import job: a progress bar (rows checked / rows in all) refreshed from the JSON below
    while it runs — the page survives a reload — its outcome, and a cancel button."""
    job = import_jobs.get_job(current_user, job_id)
    return render_template("boundaries/import_job.html", job=import_jobs.job_dict(job))


@bp.route("/admin/imports/jobs/<int:job_id>.json")
@login_required
def import_job_json(job_id: int):
    """The job as JSON (:func:`gridapp.boundaries.import_jobs.job_dict`), polled by its page."""
    return job_json(import_jobs.job_dict(import_jobs.get_job(current_user, job_id)))


@bp.post("/admin/imports/jobs/<int:job_id>/cancel")
@login_required
def import_job_cancel(job_id: int):
    """Cancel a queued or running import job (CSRF form); nothing of it is written."""
    return cancel_from_page(lambda: import_jobs.cancel(current_user, job_id),
                            _("已请求取消；导入不会写入任何数据。"), url_for("web.import_job_page", job_id=job_id))


@bp.route("/coverage-check")
@login_required
def coverage_page():
    """Coverage check of ``?code=`` (default the user's scope): counts, the problem list and a map
    layer of gaps, overlaps, grids outside their community and ungridded communities (labels and
    colours: :data:`gridapp.coverage.rules.CHECK_PROBLEMS`)."""
    report = coverage_check.coverage_report(current_user, request.args.get("code") or None)
    styles = coverage_rules.check_styles()
    labels = {kind: style["label"] for kind, style in styles.items()}
    bounds = areas.scope_bounds(current_user)
    map_parts = None
    if bounds is not None:
        m = page_base_map(bounds)
        texts = {"layer": _("覆盖检查"), "load_failed": _("地图数据加载失败：")}
        CoverageProblems({"url": url_for("api.coverage_check_report", code=report["code"]), "styles": styles,
                          "labels": texts}).add_to(m)
        map_parts = render_parts(m)
    return render_template("coverage/coverage_check.html", report=report, map=map_parts, labels=labels)
