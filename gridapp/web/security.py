"""Security pages: the audit log (admins only)."""
from __future__ import annotations

from flask import render_template, request
from flask_login import current_user, login_required

from ..accounts import audit
from ..accounts.rules import SECURITY_ACTIONS
from . import bp


@bp.route("/admin/audit")
@login_required
def audit_page():
    """The security audit log for admins (403 for everyone else), newest first; filters action,
    username, since; times shown in Asia/Shanghai."""
    log = audit.entries(current_user, request.args)
    return render_template("accounts/admin_audit.html", log=log, args=request.args, actions=SECURITY_ACTIONS)
