"""Pages of the closed loop: my tasks, the case board, one case with its timeline and actions."""
from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..boundaries import areas
from ..coverage import tiles
from ..errors import BadInput, DomainError, Forbidden
from ..extensions import db
from ..incidents import catalog, duplicates, photos, workflow
from ..incidents import present as case_present
from ..incidents import queries as case_queries
from ..incidents import reports as incidents
from ..incidents import rules as case_rules
from ..maps import CaseMarker, IncidentLayers, render_parts
from ..settings import photo_settings
from . import bp, page_base_map, refuse_page_action, uploaded_photo_refs
from .forms import AdminForm, CaseActionForm

BOARD_PER_PAGE = 20


@bp.route("/cases")
@login_required
def case_board():
    """案件看板: the visible cases with filters (state, category, grid, overdue, reported_by_me
    (我的上报), from, to — local dates) and pagination (20 a page). A malformed filter shows its error and no rows."""
    args = request.args.to_dict()
    args["per_page"] = str(BOARD_PER_PAGE)
    try:
        items, total, page, per_page = case_queries.search(current_user, args)
    except DomainError as err:
        flash(err.message, "error")
        items, total, page, per_page = [], 0, 1, BOARD_PER_PAGE
    pages = max(1, -(-total // per_page))
    return render_template("incidents/cases.html", items=items, total=total, page=page, pages=pages,
                           args=request.args, state_names=case_rules.STATE_NAMES,
                           categories=incidents.leaf_categories(), flags=case_present.deadline_flags)




def _case_map(case: dict) -> dict:
    d = 0.003
    m = page_base_map((case["lon"] - d, case["lat"] - d, case["lon"] + d, case["lat"] + d))
    CaseMarker({"lon": case["lon"], "lat": case["lat"],
                "label": f"#{case['id']} {case['category_name']}"}).add_to(m)
    return render_parts(m)


@bp.route("/cases/<int:incident_id>")
@login_required
def case_page(incident_id: int):
    """One case: map, facts, deadline flags, timeline (history) and a form per action the user
    may take now (each with CSRF token and the case's version)."""
    incident = workflow.get_case(current_user, incident_id)
    case = case_present.case_dict(current_user, incident)
    forms = []
    for t in workflow.allowed_actions(current_user, incident):
        form = CaseActionForm(formdata=None, action=t.action, variant=t.variant or "", version=incident.version)
        if t.needs == "assignee":  # a department, and one of the members of the district's departments
            form.department_code.choices = [SelectChoice("", _("（按类别默认）"))] + [
                SelectChoice(d.code, d.name) for d in case_queries.departments(incident.district_code)]
            form.handler.choices = [SelectChoice("", _("（部门内任一成员）"))] + [
                SelectChoice(str(u.id), f"{d.name} · {u.display_name}", render_kw={"data-department": d.code})
                for d, u in case_queries.handlers(incident.district_code)]
        forms.append((t, form))
    return render_template("incidents/case.html", case=case, forms=forms, map=_case_map(case),
                           duplicates=duplicates.candidates_of(current_user, incident)
                           if incident.status in ("reported", "accepted") else [],
                           state_names=case_rules.STATE_NAMES, kind_names=case_rules.KIND_NAMES)


def _form_params(form: CaseActionForm) -> dict:
    params = {"note": form.note.data or None, "attachments": uploaded_photo_refs()}
    action, variant = form.action.data, form.variant.data
    if action == "dispatch":
        params.update(department_code=form.department_code.data or None, handler=form.handler.data or None)
    elif action == "verify":
        params["passed"] = variant == "passed"
    elif action == "evaluate":
        params["rating"] = form.rating.data
    elif action == "extend":
        params["hours"] = form.hours.data
    elif action == "merge":
        params["into"] = form.into.data
    elif action == "approve":
        params["approved"] = variant != "refused"
    return params


@bp.post("/cases/<int:incident_id>/act")
@login_required
def case_act(incident_id: int):
    """Take one action from the case page (form fields of CaseActionForm); back to the case
    with a message. A stale version or a bad parameter writes nothing and is shown as an error;
    a case outside the user's scope (404) or an action their role may not take (403) is refused
    with that status, as in the API."""
    form = CaseActionForm()
    form.department_code.choices = form.handler.choices = []
    if not form.validate_on_submit():
        flash(_("表单无效或已过期，请重试：%(errors)s", errors="; ".join(
            f"{k}: {', '.join(map(str, v))}" for k, v in form.errors.items())), "error")
        return redirect(url_for("web.case_page", incident_id=incident_id))
    try:
        workflow.perform(current_user, incident_id, form.action.data, _form_params(form),
                         version=form.version.data)
    except DomainError as err:
        refuse_page_action(err)
    else:
        flash(_("操作已完成。"), "info")
    return redirect(url_for("web.case_page", incident_id=incident_id))


@bp.post("/photos")
@login_required
def photo_upload():
    """Upload one photo from a page (multipart field ``file`` + CSRF token, form field or
    ``X-CSRFToken`` header): JSON as ``POST /api/v1/photos`` — the report form uses it to offer
    the photo's EXIF position."""
    file = request.files.get("file")
    if file is None:
        return jsonify(error={"code": "photo_missing", "message": _("请选择照片")}), 400
    try:
        photo = photos.store(current_user, file.read(), file.filename, settings=photo_settings())
    except DomainError as err:
        db.session.rollback()
        return jsonify(error={"code": err.code, "message": err.message}), err.status
    return jsonify(photos.photo_dict(photo)), 201


@bp.route("/photos/<sha>")
@bp.route("/photos/<sha>/<any(thumb):size>")
@login_required
def photo_file(sha: str, size: str | None = None):
    """A photo (or its JPEG thumbnail) the user may see: theirs or attached to a visible case."""
    photo = photos.readable(current_user, sha)
    original, thumb = photos.paths(photo_settings(), photo.sha256,
                                   photo.content_type.split("/")[1].replace("jpeg", "jpg"))
    if size:
        return send_file(thumb, mimetype="image/jpeg", max_age=86400)
    return send_file(original, mimetype=photo.content_type, max_age=86400)


@bp.route("/admin/categories", methods=["GET", "POST"])
@login_required
def admin_categories():
    """Admin: category rules (level, deadline hours, department) and departments with handlers.
    POST fields: ``op`` = rule | department | member | unmember, with that operation's fields."""
    if current_user.role != "admin":
        raise Forbidden(_("只有系统管理员可以维护类别和专业部门"), code="admin_only")
    status = 200
    if request.method == "POST":
        if not AdminForm().validate_on_submit():
            flash(_("表单已过期，请重试。"), "error")
            return redirect(url_for("web.admin_categories"))
        f = request.form
        try:
            op = f.get("op")
            if op == "rule":
                catalog.set_category_rule(current_user, f.get("category_code"), f.get("level"),
                                          f.get("deadline_hours"), f.get("department_code") or None)
            elif op == "department":
                catalog.create_department(current_user, f.get("code"), f.get("name"), f.get("district_code"))
            elif op in ("member", "unmember"):
                catalog.set_member(current_user, f.get("department_code"), f.get("username"), op == "member")
            else:
                raise BadInput(_("未知的操作"), code="invalid_op")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
            status = err.status
        else:
            flash(_("已保存。"), "info")
            return redirect(url_for("web.admin_categories"))
    return render_template("incidents/admin_categories.html", form=AdminForm(), categories=incidents.leaf_categories(),
                           rules=catalog.rules(), departments=case_queries.departments(), members=catalog.members(),
                           levels=case_rules.CATEGORY_LEVELS, default_hours=case_rules.DEFAULT_DEADLINE_HOURS), status


@bp.route("/cases/map")
@login_required
def case_map():
    """Incident map: the board's filters (state, category, grid, overdue, reported_by_me, from, to), clustered
    markers with a heat-map toggle when at most 500 (``MAP_MAX_POINTS``) incidents match in the view;
    more: clusters counted by the server with their counts below zoom 16, the view's incidents
    (≤ 500) from zoom 16 on (:mod:`gridapp.coverage.tiles`); the count matched is shown."""
    filters = {k: v for k, v in request.args.items()
               if k in ("state", "category", "grid", "overdue", "reported_by_me", "from", "to")}
    bounds = areas.scope_bounds(current_user)
    parts = None
    if bounds is not None:
        m = page_base_map(bounds)
        IncidentLayers({"url": url_for("api.list_incidents", **filters, per_page=500),
                        "clusters_url": url_for("api.incident_clusters", **filters),
                        "max_points": current_app.config["MAP_MAX_POINTS"],
                        "cluster_max_zoom": tiles.CLUSTER_MAX_ZOOM,
                        "case_url": url_for("web.case_page", incident_id=0),
                        "states": {k: str(v) for k, v in case_rules.STATE_NAMES.items()},
                        "heat_gradient": case_rules.HEAT_GRADIENT,
                        "labels": {"clusters": _("聚合标注"), "heat": _("热力图"), "overdue": _("已超期"),
                                   "legend": _("图例"), "heat_ramp": _("热力图：稀 → 密"),
                                   "cluster_count": _("聚合：数字为事件数"),
                                   "shown": _("显示 {shown} 件（共 {matched} 件符合条件）"),
                                   "load_failed": _("地图数据加载失败：")}}).add_to(m)
        parts = render_parts(m)
    return render_template("incidents/case_map.html", map=parts, args=request.args, state_names=case_rules.STATE_NAMES,
                           categories=incidents.leaf_categories())
