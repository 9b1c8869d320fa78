"""Pages of dispute resolution: the board with filters and a map layer (by state and risk), the
register form, one dispute with its timeline and action forms."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..boundaries import areas
from ..disputes import actions as dispute_actions
from ..disputes import present as dispute_present
from ..disputes import queries as dispute_queries
from ..disputes import register as dispute_register
from ..disputes import rules as dispute_rules
from ..disputes import workflow as dispute_workflow
from ..disputes.exports import may_reveal_any
from ..errors import DomainError
from ..extensions import db
from ..maps import CaseMarker, DisputeLayer, render_parts
from . import bp, page_base_map, refuse_page_action, scope_map_parts

BOARD_PER_PAGE = 20
NAMES = {"states": dispute_rules.STATE_NAMES, "difficulties": dispute_rules.DIFFICULTY_NAMES,
         "sources": dispute_rules.SOURCE_NAMES, "risks": dispute_rules.RISK_NAMES,
         "channels": dispute_rules.CHANNEL_NAMES, "performance": dispute_rules.PERFORMANCE_NAMES}


def _board_map(args) -> dict | None:
    bounds = areas.scope_bounds(current_user)
    if bounds is None:
        return None
    m = page_base_map(bounds)
    query = {k: v for k, v in args.items() if k in ("state", "type", "difficulty", "risk_level", "community",
                                                     "overdue", "escalation_risk", "from", "to") and v}
    DisputeLayer({"url": url_for("api.list_disputes", **query), "page_url": url_for("web.dispute_page", dispute_id=0),
                  "risks": {k: str(v) for k, v in dispute_rules.RISK_NAMES.items()},
                  "styles": dispute_rules.risk_styles(), "open_states": list(dispute_rules.OPEN_STATES),
                  "labels": {"overdue": _("已超期"), "escalation": _("可能激化"), "legend": _("风险等级"),
                             "open": _("未办结（虚线）"), "load_failed": _("地图数据加载失败：")}}).add_to(m)
    return render_parts(m)


def _scope_figures() -> dict | None:
    """The figures (gridapp.disputes.queries.stats, all dates) of the user's own area: district,
    township or community; None for grid workers and administrators (no single area)."""
    level = {"district": "district", "township": "township", "secretary": "community"}.get(current_user.role)
    if level is None:
        return None
    return dispute_queries.stats(current_user, level, current_user.scope_code)


@bp.route("/disputes")
@login_required
def dispute_board():
    """矛盾纠纷看板: the disputes in scope with filters (state, type, difficulty, risk_level,
    overdue, from, to), 20 a page, and the map layer by state and risk."""
    args = request.args.to_dict()
    args["per_page"] = str(BOARD_PER_PAGE)
    try:
        items, total, page, per_page = dispute_queries.search(current_user, args)
    except DomainError as err:
        flash(err.message, "error")
        items, total, page, per_page = [], 0, 1, BOARD_PER_PAGE
    return render_template("disputes/disputes.html", items=items, total=total, page=page,
                           pages=max(1, -(-total // per_page)), args=request.args, types=dispute_queries.active_types(),
                           overdue=dispute_present.overdue, map=_board_map(request.args),
                           counts=dispute_queries.map_counts(current_user), figures=_scope_figures(),
                           may_reveal_parties=may_reveal_any(current_user), **NAMES)


def _form_parties(form) -> list[dict]:
    parties = []
    for i in range(1, 4):
        name = (form.get(f"party{i}_name") or "").strip()
        if name:
            parties.append({"kind": form.get(f"party{i}_kind") or "person", "name": name,
                            "id_number": form.get(f"party{i}_id_number"), "phone": form.get(f"party{i}_phone")})
    return parties


@bp.route("/disputes/new", methods=["GET", "POST"])
@login_required
def dispute_new():
    """Register a dispute (统一登记受理): type, source, summary, up to three parties, amount, risk,
    escalation flag, difficulty (+ leader for 疑难), the point from a click on the map."""
    form = request.form
    status = 200
    if request.method == "POST":
        data = {k: form.get(k) for k in ("type_code", "summary", "source", "amount", "risk_level", "difficulty",
                                         "leader", "lon", "lat")}
        data["escalation_risk"] = form.get("escalation_risk") == "on"
        data["parties"] = _form_parties(form)
        try:
            dispute = dispute_register.register(current_user, data)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
            status = err.status
        else:
            flash(_("纠纷已登记，编号 %(id)s。", id=dispute.id), "info")
            return redirect(url_for("web.dispute_page", dispute_id=dispute.id))
    return render_template("disputes/dispute_new.html", form=form, types=dispute_queries.active_types(),
                           map=scope_map_parts(current_user, picker={"lon_input": "lon", "lat_input": "lat"}),
                           **NAMES), status


@bp.route("/disputes/<int:dispute_id>")
@login_required
def dispute_page(dispute_id: int):
    """One dispute: facts, parties (masked; ``?reveal=1`` for the roles of
    :func:`gridapp.disputes.rules.may_reveal_parties`, logged), sessions, visits, related
    incidents, timeline and a form per allowed action."""
    dispute = dispute_workflow.get_dispute(current_user, dispute_id)
    parties = dispute_actions.reveal_parties(current_user, dispute.id, "web") if request.args.get("reveal") == "1" \
        else None
    d = dispute_present.dispute_dict(current_user, dispute, parties=parties)
    m = page_base_map((d["lon"] - 0.003, d["lat"] - 0.003, d["lon"] + 0.003, d["lat"] + 0.003))
    CaseMarker({"lon": d["lon"], "lat": d["lat"], "label": f"#{d['id']} {d['type_name']}"}).add_to(m)
    return render_template("disputes/dispute.html", d=d,
                           actions=dispute_workflow.allowed_actions(current_user, dispute),
                           mediators=dispute_queries.mediators(current_user), map=render_parts(m),
                           kind_names=dispute_rules.KIND_NAMES,
                           may_reveal_parties=dispute_rules.may_reveal_parties(current_user.role, dispute.difficulty),
                           **NAMES)


@bp.post("/disputes/<int:dispute_id>/act")
@login_required
def dispute_act(dispute_id: int):
    """Take the action of a dispute-page form (with its version: stale → the page with a message)."""
    form = request.form.to_dict()
    try:
        dispute_workflow.perform(current_user, dispute_id, form.pop("action", ""), form,
                                 version=form.pop("version", None))
    except DomainError as err:
        refuse_page_action(err)
    else:
        flash(_("操作已完成"), "info")
    return redirect(url_for("web.dispute_page", dispute_id=dispute_id))
