"""Security API: the audit log (admins only)."""
from __future__ import annotations

from flask import jsonify, request

from ..accounts import audit
from ..auth import api_user
from . import bp
from .contract import operation
from .schemas import boundaries as bs


@bp.get("/audit-log")
@operation("security", bs.AuditLog, query=bs.AuditLogQuery)
def audit_log():
    """The security audit log, newest first (admins only; 403 for everyone else): logins, failures,
    lockouts, unlocks, logouts, token revocations, user creation (role), exports, roster changes
    and full personal-data views. Query: action, username, since (ISO 8601, UTC), page, per_page
    (≤ 100) → {items: [{log, id, at (UTC), user, action, entity, entity_id, community_code,
    detail}], total, page, per_page}. The log itself is append-only (database triggers)."""
    return jsonify(audit.as_json(audit.entries(api_user(), request.args)))
