"""Pages of the party organisation in the grid (党建引领网格): overview, community tree, grid page,
and the secretary's forms (every POST carries the CSRF token; services check scope and audit)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..accounts import pii
from ..coverage import service as coverage
from ..coverage.rules import GRID_STATUSES
from ..downloads import xlsx_response
from ..errors import BadInput, DomainError
from ..extensions import db
from ..org import groups as org_groups
from ..org import members as org_members
from ..org import queries as org_queries
from ..org import rosters
from ..org import rules as org_rules
from ..org import units as org_units
from . import bp, safe_next

LABELS = {
    "build_type": org_rules.BUILD_TYPE_NAMES, "kind": org_rules.MEMBER_KIND_NAMES, "role": org_rules.MEMBER_ROLE_NAMES,
    "worker_kind": org_rules.WORKER_KIND_NAMES, "partner_type": org_rules.PARTNER_TYPE_NAMES,
    "status": {status: style["label"] for status, style in GRID_STATUSES.items()},
    "field": {"phone": _l("电话"), "id_number": _l("身份证号")},
}


class ActionForm(FlaskForm):
    """A form whose only declared field is the CSRF token; the service validates the rest."""


@bp.app_context_processor
def _org_context():
    return {"org_labels": LABELS, "action_form": ActionForm(formdata=None), "may_reveal": current_user.is_authenticated
            and pii.may_see_full(current_user)}


def _form_data() -> dict:
    data = {k: v.strip() for k, v in request.form.items() if k not in ("csrf_token", "back")}
    codes = [c for c in request.form.getlist("grid_codes") if c]
    if codes:
        data["grid_codes"] = codes if len(codes) > 1 else codes[0]
    if data.get("partner_type"):
        unit = data.pop("stationed_unit_id", "")
        data["partners"] = [{"partner_type": data.pop("partner_type"), "name": data.pop("partner_name", "") or None,
                             "stationed_unit_id": int(unit) if unit.isdigit() else None}]
    return data


def _act(action, back: str, done: str):
    """Check the CSRF token, run ``action()``, flash the outcome and go back to ``back``."""
    if not ActionForm().validate_on_submit():
        flash(_("表单已过期，请重试。"), "error")
        return redirect(back)
    try:
        action()
    except DomainError as err:
        db.session.rollback()
        if err.status == 403 or (err.status == 404 and not err.field):
            raise  # the object of the page itself: outside the scope, or absent (the same 404)
        field = err.field or err.details.get("field")
        flash(_("%(message)s（字段：%(field)s）", message=err.message, field=field) if field else err.message, "error")
    else:
        flash(done, "info")
    return redirect(back)


@bp.app_template_filter("mask_pii")
def _mask_pii(value, field: str):
    """Jinja filter: the masked form of a phone or ID number."""
    return pii.MASKERS[field](value)


@bp.route("/org")
@login_required
def org_overview():
    """Coverage of the user's area with its children (secretaries go to their community)."""
    if current_user.role == "secretary":
        return redirect(url_for("web.org_community", code=current_user.scope_code))
    code = request.args.get("code") or None
    return render_template("org/org_overview.html", cov=coverage.coverage(current_user, None, code))


@bp.route("/org/community/<code>")
@login_required
def org_community(code: str):
    """The three-level tree of a community: organisation → grid groups → members; workers,
    stationed units and 兼职委员; coverage figures; forms to change them."""
    return render_template("org/org_community.html", tree=org_queries.community_tree(current_user, code),
                           cov=coverage.coverage(current_user, "community", code))


@bp.route("/org/grid/<code>")
@login_required
def org_grid(code: str):
    """A grid: its workers, its party group and members, with the forms that change them."""
    return render_template("org/org_grid.html", page=org_queries.grid_page(current_user, code))


def _community_url(code: str) -> str:
    return url_for("web.org_community", code=code)


@bp.post("/org/community/<code>/groups")
@login_required
def org_group_create(code: str):
    """Set up a group (fields name, build_type, grid_codes, partner_type, partner_name, stationed_unit_id)."""
    return _in_community(code, org_groups.create_group, _("党小组已成立。"))


@bp.post("/org/groups/<int:group_id>/dissolve")
@login_required
def org_group_dissolve(group_id: int):
    """Dissolve a group."""
    group = org_groups.get_group(current_user, group_id)
    return _act(lambda: org_groups.dissolve_group(current_user, group_id), _community_url(group.community_code),
                _("党小组已撤销。"))


def _back(default: str) -> str:
    """The form's ``back`` path when it is a page of this section, else ``default``."""
    back = safe_next(request.form.get("back"))
    return back if back and back.startswith("/org/") else default


def _in_community(code: str, action, done: str):
    """Run ``action(user, form data + community_code)`` and go back (default: the community page)."""
    return _act(lambda: action(current_user, {**_form_data(), "community_code": code}),
                _back(_community_url(code)), done)


@bp.post("/org/community/<code>/ratings")
@login_required
def org_rate(code: str):
    """Record a star rating of a group (group_id) or of the community organisation."""
    return _in_community(code, org_units.rate, _("评星结果已记录。"))


@bp.post("/org/community/<code>/members")
@login_required
def org_member_add(code: str):
    """Add a member (name, kind, role, phone, id_number, home_unit, reported_on, group_id, grid_code)."""
    return _in_community(code, org_members.add_member, _("党员已添加。"))


@bp.post("/org/community/<code>/workers")
@login_required
def org_worker_add(code: str):
    """Add a grid worker (name, kind, phone, id_number, grid_codes, primary_grid, username)."""
    return _in_community(code, org_members.add_worker, _("网格员已添加。"))


@bp.post("/org/members/<int:member_id>/move")
@login_required
def org_member_move(member_id: int):
    """Move a member to a group/grid (group_id, grid_code; empty = none)."""
    data = {**_form_data(), "group_id": request.form.get("group_id") or None,
            "grid_code": request.form.get("grid_code") or None}
    return _act(lambda: org_members.move_member(current_user, member_id, data), _back(url_for("web.org_overview")),
                _("党员已调整。"))


@bp.post("/org/members/<int:member_id>/remove")
@login_required
def org_member_remove(member_id: int):
    """Remove a member from the roster."""
    return _act(lambda: org_members.remove_member(current_user, member_id), _back(url_for("web.org_overview")),
                _("党员已移出。"))


@bp.post("/org/workers/<int:worker_id>/assign")
@login_required
def org_worker_assign(worker_id: int):
    """Replace a worker's grids (grid_codes, primary_grid)."""
    return _act(lambda: org_members.assign_worker(current_user, worker_id, _form_data()),
                _back(url_for("web.org_overview")), _("网格员的网格已调整。"))


@bp.post("/org/reveal/<entity>/<int:obj_id>/<field>")
@login_required
def org_reveal(entity: str, obj_id: int, field: str):
    """Show one full personal value to an allowed role (logged: who, when, whose, which field)."""
    if not ActionForm().validate_on_submit():
        raise BadInput(_("表单已过期，请重试。"), code="csrf")
    value = org_members.reveal(current_user, entity, obj_id, field)
    return render_template("org/org_reveal.html", value=value, field=field, back=_back(""))


@bp.route("/org/community/<code>/export.xlsx")
@login_required
def org_export(code: str):
    """Excel roster of a community (members, workers, stationed units); phones and ID numbers as
    text, masked; ``?full=1`` exports full values for the roles allowed (each value logged)."""
    data, filename = rosters.export_community(current_user, code, full=request.args.get("full") == "1")
    return xlsx_response(data.getvalue(), filename)


@bp.post("/org/community/<code>/import")
@login_required
def org_import(code: str):
    """Import members, workers or stationed units (field kind) from an uploaded .xlsx/.csv file;
    all or nothing, with row-level errors."""
    if not ActionForm().validate_on_submit():
        flash(_("表单已过期，请重试。"), "error")
        return redirect(_community_url(code))
    upload = request.files.get("file")
    try:
        count = rosters.import_roster(current_user, code, request.form.get("kind", ""),
                                      upload.filename if upload else "", upload.read() if upload else b"")
    except DomainError as err:
        db.session.rollback()
        if err.status == 403:
            raise
        return render_template("org/org_import_errors.html", code=code, message=err.message,
                               errors=err.details.get("rows", [])), err.status
    flash(_("已导入 %(n)s 行。", n=count), "info")
    return redirect(_community_url(code))
