"""Pages of places, inspections, rectification notices and figures."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..boundaries import areas
from ..core.roles import SCOPE_LEVEL
from ..downloads import xlsx_response
from ..errors import DomainError
from ..extensions import db
from ..inspections import figures as place_figures
from ..inspections import notices as rectification
from ..inspections import service as inspections
from ..inspections.rules import CHECK_ANSWER_NAMES, KIND_NAMES, MEASURE_NAMES, NOTICE_STATE_NAMES, TIMELINE_LABELS
from ..maps import PlaceLayers, render_parts
from ..places import service as places
from ..places.rules import RISK_NAMES, STATUS_NAMES, status_styles
from . import bp, page_base_map, refuse_page_action
from .cases import uploaded_photo_refs


@bp.route("/places")
@login_required
def places_page():
    """场所台账: the places in scope (filters ``type``, ``status``), the map layer by type and
    status, and the import form (.xlsx/.csv; a bad file shows every bad row, nothing written)."""
    type_code, status = request.args.get("type") or None, request.args.get("status") or None
    try:
        items = places.search(current_user, type_code, status)
    except DomainError as err:
        flash(err.message, "error")
        items = []
    bounds = areas.scope_bounds(current_user)
    parts = None
    if bounds is not None:
        m = page_base_map(bounds)
        PlaceLayers({"url": url_for("api.list_places", type=type_code, status=status),
                     "place_url": url_for("web.place_page", place_id=0),
                     "shown": _("显示 {n} 个场所"), "load_failed": _("地图数据加载失败："),
                     "styles": status_styles(), "legend": _("场所状态")}).add_to(m)
        parts = render_parts(m)
    return render_template("places/places.html", items=items, types=places.types(), map=parts, args=request.args,
                           status_names=STATUS_NAMES, risk_names=RISK_NAMES)


@bp.post("/places/new")
@login_required
def place_new():
    """Register one place from the form on the registry page (name, type, operator, licence,
    lon/lat in WGS84, risk level); an error writes nothing and is shown."""
    f = request.form
    try:
        place = places.create(current_user, {k: f.get(k) for k in ("name", "type", "operator", "licence_no", "lon",
                                                                  "lat", "risk_level")})
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("web.places_page"))
    flash(_("场所已登记。"), "info")
    return redirect(url_for("web.place_page", place_id=place.id))


@bp.post("/places/import")
@login_required
def places_import():
    """Import places from an uploaded .xlsx/.csv (all or nothing, row-level errors shown)."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            flash(_("请上传 .xlsx 或 .csv 文件"), "error")
        else:
            n = places.import_places(current_user, upload.filename, upload.read())
            flash(_("已导入 %(n)s 个场所。", n=n), "info")
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        for row in err.details.get("rows", [])[:50]:
            flash(_("第 %(row)s 行“%(column)s”：%(reason)s", **row), "error")
    return redirect(url_for("web.places_page"))


@bp.route("/places/<int:place_id>")
@login_required
def place_page(place_id: int):
    """One place: facts, its notices and its timeline (inspections, notices, re-inspections,
    escalations)."""
    place = places.get_place(current_user, place_id)
    notices = [n for n in rectification.notices(current_user) if n.place_id == place.id]
    return render_template("places/place.html", place=place, timeline=places.timeline(place), notices=notices,
                           status_names=STATUS_NAMES, risk_names=RISK_NAMES,
                           notice_states=NOTICE_STATE_NAMES, timeline_labels=TIMELINE_LABELS)


@bp.route("/inspections/new", methods=["GET", "POST"])
@login_required
def inspection_new():
    """Record an inspection: kind, campaign, department, members, vehicle trips and, per place
    ticked, the checklist of its type, findings, photos and optionally a rectification notice
    (requirements, deadline date). One transaction; an error writes nothing."""
    source = request.form if request.method == "POST" else request.args
    chosen = list(dict.fromkeys(source.getlist("place_id")))
    if request.method == "POST":
        form = request.form
        try:
            visits = []
            for pid in chosen:
                place = places.get_place(current_user, pid)
                checklist = {item: form.get(f"check-{pid}-{i}")
                             for i, item in enumerate(place.place_type.checklist or [])}
                refs = uploaded_photo_refs(f"photos-{pid}")
                visit = {"place_id": place.id, "checklist": checklist, "findings": form.get(f"findings-{pid}"),
                         "attachments": refs}
                if form.get(f"notice-{pid}") == "on":
                    visit["notice"] = {"requirements": form.get(f"requirements-{pid}"),
                                       "deadline": form.get(f"deadline-{pid}")}
                visits.append(visit)
            inspection = inspections.record_inspection(current_user, {
                "kind": form.get("kind"), "campaign_id": form.get("campaign_id") or None,
                "department": form.get("department"), "members": form.get("members", ""),
                "vehicle_trips": form.get("vehicle_trips"), "visits": visits})
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("检查记录已保存。"), "info")
            return redirect(url_for("web.inspection_page", inspection_id=inspection.id))
    return render_template("inspections/inspection_new.html", places=places.search(current_user), chosen=set(chosen),
                           campaigns=inspections.campaigns(current_user), form=request.form, answers=CHECK_ANSWER_NAMES,
                           kinds=KIND_NAMES)


@bp.route("/inspections/<int:inspection_id>")
@login_required
def inspection_page(inspection_id: int):
    """One inspection: team, places visited with checklist answers, findings, photos, notices."""
    inspection = inspections.get_inspection(current_user, inspection_id)
    return render_template("inspections/inspection.html", inspection=inspection,
                           notices=inspections.notices_of(inspection), notice_states=NOTICE_STATE_NAMES,
                           answers=CHECK_ANSWER_NAMES, kinds=KIND_NAMES)


@bp.route("/notices")
@login_required
def notices_page():
    """Rectification notices in scope, earliest deadline first, overdue flagged."""
    return render_template("inspections/notices.html", notices=rectification.notices(current_user),
                           notice_states=NOTICE_STATE_NAMES, overdue=rectification.overdue)


@bp.route("/notices/<int:notice_id>")
@login_required
def notice_page(notice_id: int):
    """One rectification notice, printable as a document, with the actions the user may take."""
    notice = rectification.get_notice(current_user, notice_id)
    return render_template("inspections/notice.html", notice=notice,
                           data=rectification.notice_dict(current_user, notice),
                           notice_states=NOTICE_STATE_NAMES, measures=MEASURE_NAMES)


@bp.post("/notices/<int:notice_id>/act")
@login_required
def notice_act(notice_id: int):
    """Take one action on a notice from its page (reinspect / escalate / approve); back with a
    message; an error writes nothing."""
    form = request.form
    action = form.get("action", "")
    params = {"note": form.get("note") or None, "measure": form.get("measure")}
    if form.get("passed"):
        params["passed"] = form.get("passed")
    if form.get("approved"):
        params["approved"] = form.get("approved")
    try:
        rectification.act(current_user, notice_id, action, params, version=form.get("version"))
    except DomainError as err:
        refuse_page_action(err)
    else:
        flash(_("操作已完成。"), "info")
    return redirect(url_for("web.notice_page", notice_id=notice_id))


@bp.route("/inspection-figures")
@login_required
def figures_page():
    """检查整治统计: figures for an area (level, code), period and campaign; Excel download."""
    a = request.args
    level, code = a.get("level") or None, a.get("code") or None
    if level is None:
        level, code = _default_area()
    result = None
    params = (level, code, a.get("from") or None, a.get("to") or None, a.get("campaign_id") or None)
    try:
        if a.get("format") == "xlsx":
            return xlsx_response(*place_figures.export_xlsx(current_user, *params))
        result = place_figures.compute(current_user, *params)
    except DomainError as err:
        flash(err.message, "error")
    return render_template("inspections/inspection_figures.html", result=result, level=level, code=code, args=a,
                           campaigns=inspections.campaigns(current_user), fields=place_figures.FIELDS,
                           names=place_figures.FIELD_NAMES)


def _default_area() -> tuple[str, str | None]:
    user = current_user
    if user.role == "worker":
        codes = sorted(a.grid_code for a in user.assignments)
        return "grid", codes[0] if codes else None
    if user.role in SCOPE_LEVEL:
        return SCOPE_LEVEL[user.role], user.scope_code
    return "district", None
