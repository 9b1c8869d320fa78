"""The security audit log: one read of the two append-only logs the app writes.

* :class:`~gridapp.models.AuditEntry` (``audit_entries``): roster changes (gridapp/org) and the
  security events recorded here with :func:`record` — ``login`` (detail: channel web | api),
  ``login_failed`` (username as typed, reason bad_password | unknown_user | inactive, client
  address), ``login_throttled`` (a 429 of the login throttles: username, address, limit),
  ``lockout`` (the account-wide lock of :mod:`gridapp.accounts.rules`), ``login_locked`` (an
  attempt while locked), ``unlock``, ``logout``, ``token_revoke``, ``user_create`` (role and
  scope: the only way a role is given), ``export`` (what was exported: entity boundaries | roster,
  level, code, format, full), ``import`` (file, sha256, level, mode, counts, outcome) and
  ``grid_edit`` (operation, grids retired and issued, rows moved, preview).
* :class:`~gridapp.models.PiiView` (``pii_views``): every full phone / ID number shown or exported.

Both tables refuse UPDATE, DELETE and TRUNCATE (database triggers, migration 0007_security), so
the log is append-only for every user of the database; only admins read it (:func:`entries`).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import JSONB

from ..core import params as p
from ..core.errors import Forbidden
from ..extensions import db
from ..models import AuditEntry, PiiView, User

PER_PAGE = 100


def record(user: User | None, action: str, entity: str, entity_id: int | None = None,
           community_code: str | None = None, *, entry_id: int | None = None, **detail) -> AuditEntry:
    """Add one audit row (who, when = now UTC, what: roster changes, imports, grid edits, security
    events) and return it; the caller's transaction commits it. ``entry_id``: an id reserved
    beforehand with :func:`reserve_id` (rows written meanwhile already name it)."""
    entry = AuditEntry(id=entry_id, user_id=user.id if user else None, action=action, entity=entity,
                       entity_id=entity_id, community_code=community_code, detail=detail)
    db.session.add(entry)
    return entry


def reserve_id() -> int:
    """A new audit entry id, taken from the table's sequence now (never given twice, even when the
    transaction that took it rolls back) for a row :func:`record` writes later."""
    return db.session.scalar(select(func.nextval(func.pg_get_serial_sequence("audit_entries", "id"))))


def _union():
    audit = select(literal("audit").label("log"), AuditEntry.id, AuditEntry.at, AuditEntry.user_id,
                   AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id, AuditEntry.community_code,
                   AuditEntry.detail.label("detail"))
    views = select(literal("pii_view").label("log"), PiiView.id, PiiView.at, PiiView.user_id,
                   literal("pii_view").label("action"), PiiView.entity, PiiView.entity_id,
                   literal(None, String).label("community_code"),
                   func.jsonb_build_object("field", PiiView.field, "channel", PiiView.channel,
                                           type_=JSONB).label("detail"))
    return union_all(audit, views).subquery()


def entries(user: User, args) -> dict:
    """The merged log, newest first, for an admin (Forbidden 403 for everyone else).

    ``args`` (query string): action (one, or ``pii_view``), username, since (ISO 8601 date or
    time, UTC), page (1-based), per_page (≤ :data:`PER_PAGE`). Returns {"items": [{log (audit |
    pii_view), id, at (aware UTC datetime; :func:`as_json` makes it ISO 8601), user (username or
    null), action, entity, entity_id, community_code, detail (object)}], "total", "page",
    "per_page"}. BadInput (400) naming ``since``, ``page`` or ``per_page`` when malformed or out of
    range (:mod:`gridapp.core.params`; never clamped)."""
    if user.role != "admin":
        raise Forbidden(_("只有系统管理员可以查看审计日志"), code="admin_only")
    log = _union()
    query = select(log, User.username).outerjoin(User, User.id == log.c.user_id)
    if args.get("action"):
        query = query.where(log.c.action == args["action"])
    if args.get("username"):
        query = query.where(User.username == args["username"])
    if args.get("since"):
        query = query.where(log.c.at >= p.instant(args["since"], "since"))
    page = p.integer(args["page"], "page", 1, p.PAGE_MAX) if args.get("page") else 1  # out of range: 400, no clamp
    per_page = p.integer(args["per_page"], "per_page", 1, PER_PAGE) if args.get("per_page") else PER_PAGE
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(log.c.at.desc(), log.c.id.desc())
                              .limit(per_page).offset((page - 1) * per_page))
    items = [{"log": r.log, "id": r.id, "at": r.at, "user": r.username, "action": r.action,
              "entity": r.entity, "entity_id": r.entity_id, "community_code": r.community_code,
              "detail": r.detail} for r in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def as_json(log: dict) -> dict:
    """:func:`entries`' result with times as ISO 8601 UTC strings."""
    return {**log, "items": [{**item, "at": item["at"].isoformat()} for item in log["items"]]}
