"""Boundary pages: the admin upload (import) page with its report, and the coverage check."""
from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..assets import vendor_url
from ..boundaries import areas, imports
from ..coverage import check as coverage_check
from ..errors import DomainError
from ..extensions import db
from ..maps import CoverageProblems, base_map, render_parts
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
    return render_template("boundaries/imports.html", form=form, report=report, error=error), status


@bp.route("/coverage-check")
@login_required
def coverage_page():
    """Coverage check of ``?code=`` (default the user's scope): counts, the problem list and a map
    layer of gaps, overlaps, grids outside their community and ungridded communities."""
    report = coverage_check.coverage_report(current_user, request.args.get("code") or None)
    bounds = areas.scope_bounds(current_user)
    map_parts = None
    if bounds is not None:
        m = base_map(bounds, {"leaflet_js": vendor_url("leaflet", "leaflet.js"),
                              "leaflet_css": vendor_url("leaflet", "leaflet.css")},
                     current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"])
        CoverageProblems({"url": url_for("api.coverage_check_report", code=report["code"]),
                          "labels": {k: str(v) for k, v in PROBLEM_LABELS.items()}}).add_to(m)
        map_parts = render_parts(m)
    return render_template("coverage/coverage_check.html", report=report, map=map_parts, labels=PROBLEM_LABELS)


PROBLEM_LABELS = {"gap": _l("缺口（未被网格覆盖）"), "overlap": _l("网格重叠"), "outside": _l("网格超出社区"),
                  "ungridded": _l("未划分网格的社区/村"), "layer": _l("覆盖检查"),
                  "load_failed": _l("地图数据加载失败：")}
