"""Admin pages for boundaries: upload (import) with its report."""
from __future__ import annotations

from flask import abort, current_app, render_template
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from ..services import imports
from . import bp
from .forms import ImportForm


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
            report = imports.import_file(current_user, upload.read(), upload.filename or "", options)
            status = 422 if report["refused"] else 200
        except DomainError as err:
            db.session.rollback()
            error, status = err.message, err.status
    elif form.is_submitted():
        status = 400
    return render_template("imports.html", form=form, report=report, error=error), status
