"""Pages of notifications: 我的待办 (every kind of work), 消息中心 (read / unread), the unread
count polled by the badge, each user's channels, and the failed-delivery list (admin)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError, Forbidden
from ..notifications import channels, delivery, inbox, todo
from ..notifications.rules import CHANNEL_NAMES, KIND_NAMES, POLL_SECONDS, WORK_KINDS
from ..settings import webhook_hosts
from . import bp, refuse_page_action


@bp.route("/tasks")
@login_required
def my_tasks():
    """我的待办: every kind of work waiting for the user — incidents (the actions the table allows
    now), disputes (受理, mediation, approvals), rectification notices (re-inspection due,
    escalation, approvals) — approvals first, then by deadline."""
    return render_template("notifications/tasks.html", tasks=todo.work_of(current_user), kinds=WORK_KINDS)


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications_page():
    """消息中心: the user's notifications, newest first (``?unread=1``: unread only). POST
    ``op`` = read (``id``: one, else all) | unread (``id``)."""
    if request.method == "POST":
        inbox.mark_read(current_user, request.form.get("id") or None, unread=request.form.get("op") == "unread")
        return redirect(url_for("web.notifications_page", unread=request.args.get("unread")))
    unread_only = request.args.get("unread") in ("1", "true")
    return render_template("notifications/notifications.html", items=inbox.for_user(current_user, unread_only),
                           unread_only=unread_only, kind_names=KIND_NAMES, poll=POLL_SECONDS)


@bp.route("/notifications/unread")
@login_required
def unread_count():
    """{"unread": n} — polled by the badge in the navigation (not cached)."""
    response = jsonify(unread=inbox.unread_count(current_user))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/notifications/channels", methods=["GET", "POST"])
@login_required
def notification_channels():
    """The user's channels beyond the app (form fields ``email``, ``webhook``; empty: not
    chosen) and the status of their latest deliveries."""
    status = 200
    if request.method == "POST":
        try:
            channels.choose(current_user, request.form.to_dict(), webhook_hosts())
        except DomainError as err:
            refuse_page_action(err)
            status = err.status
        else:
            flash(_("已保存。"), "info")
            return redirect(url_for("web.notification_channels"))
    return render_template("notifications/channels.html", chosen=channels.chosen(current_user),
                           form=request.form if status != 200 else None, names=CHANNEL_NAMES,
                           deliveries=delivery.deliveries_of(current_user)), status


@bp.route("/admin/deliveries")
@login_required
def failed_deliveries():
    """Admin: the deliveries that failed after their retry (destination, attempts, last error)."""
    if current_user.role != "admin":
        raise Forbidden(_("只有系统管理员可以查看发送失败的消息"), code="admin_only")
    return render_template("notifications/failed.html", rows=delivery.failed(), names=CHANNEL_NAMES)
