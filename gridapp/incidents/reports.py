"""Reporting and listing incidents (事件)."""
from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    true,
)

from ..accounts import service as accounts
from ..boundaries.locate import location_of, location_select, outside_district, parse_lonlat, point_expr
from ..core import compiled
from ..core import params as p
from ..core.clock import utcnow
from ..core.errors import BadInput, Unprocessable
from ..core.scope import Holder, incident_filter, outside_scope, scope_condition
from ..extensions import db
from ..geo.shapes import geojson_geometry
from ..models import Incident, IncidentCategory, IncidentEvent, IncidentStatus, PhotoUpload, User
from .attachments import check_attachment_refs, require_uploaded
from .duplicates import LIMIT as DUPLICATES_LIMIT
from .duplicates import candidate_conditions, candidate_json, search_box
from .present import deadline_flags
from .rules import ACCURACY_MAX_M, DESCRIPTION_MAX


def leaf_categories() -> list[IncidentCategory]:
    """Categories an incident may use (those without children), ordered by code."""
    parents = select(IncidentCategory.parent_code).where(IncidentCategory.parent_code.is_not(None))
    return list(db.session.scalars(select(IncidentCategory)
                                   .where(IncidentCategory.code.not_in(parents))
                                   .order_by(IncidentCategory.code)))


def _check_category_given(code) -> str:
    if not isinstance(code, str) or not code.strip():
        raise p.bad("category_code", _("请选择事件类别 (category_code)"), "invalid_category")
    if len(code.strip()) > IncidentCategory.__table__.c.code.type.length:
        raise _bad_category(code)  # longer than any category code: unknown, before SQL sees it (a 500)
    if not p.INVISIBLE.sub("", code):  # only invisible characters: unknown (the message built only when needed)
        raise p.bad("category_code", _("事件类别 %(code)s 不存在或不是末级类别", code=repr(code)))
    return p.text(code, "category_code", 32)


def _leaf_category_exists(code: str):
    """SQL EXISTS: ``code`` is a category without children."""
    has_children = select(IncidentCategory.code).where(IncidentCategory.parent_code == code).exists()
    return select(IncidentCategory.code).where(IncidentCategory.code == code, ~has_children).exists()


def _bad_category(code: str) -> BadInput:
    return p.bad("category_code", _("事件类别 %(code)s 不存在或不是末级类别", code=repr(code)), "invalid_category")


def _check_category(code) -> str:
    code = _check_category_given(code)
    if not db.session.scalar(select(_leaf_category_exists(code))):
        raise _bad_category(code)
    return code


def _check_description(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise p.bad("description", _("请填写事件描述 (description)"))
    if len(text.strip()) > DESCRIPTION_MAX:
        raise p.bad("description", _("事件描述不能超过 %(max)s 个字", max=DESCRIPTION_MAX))
    return p.text(text, "description", DESCRIPTION_MAX)


def report_incident(user: User, category_code, description, lon, lat, photos=None, accuracy_m=None, *,
                    now: datetime | None = None) -> Incident:
    """Report an incident at a WGS84 point (lon, lat degrees) and locate it into its grid.

    ``photos``: optional list of attachment references (``photo:<sha256>`` of uploaded photos),
    recorded on the first history entry (action ``report``, — → reported). ``accuracy_m``: the
    point's GPS accuracy in metres (0–100 000, optional; BadInput ``accuracy_m`` otherwise).
    One transaction. Raises BadInput (bad category, empty description, malformed point),
    Unprocessable (422) for a point outside every district, Forbidden when the point lies
    outside the user's scope (a grid worker outside their own grids). ``now``: aware UTC time of
    the report (the demo's history, tests); default the clock.
    """
    summary = report_incident_summary(user, category_code, description, lon, lat, photos, accuracy_m, now=now)
    return db.session.get(Incident, summary["id"])


def report_incident_summary(user: User, category_code, description, lon, lat, photos=None, accuracy_m=None, *,
                            now: datetime | None = None) -> dict:
    """Report an incident as :func:`report_incident` does (same checks, errors and single
    transaction) and return what the API answers: {id, grid_code, community_code, status,
    reported_at (ISO 8601 UTC), possible_duplicates [{id, distance_m, status, reported_at}]}.

    The possible duplicates (services/duplicates.py, relative to this report) are looked up in the
    statement that inserts the case, so that nothing is reloaded after the commit."""
    return _report(_checked_fields(category_code, description, lon, lat, accuracy_m), photos, uid=user.id, now=now)


def report_with_token(token: str, category_code, description, lon, lat, photos=None, accuracy_m=None) -> dict:
    """:func:`report_incident_summary` for the holder of the bearer ``token`` (the API's create
    path): the token is checked in the statement that inserts the case.

    Raises Unauthenticated (401) for an unknown, expired or revoked token — before any error of
    the report itself — then the errors of :func:`report_incident`."""
    try:
        fields = _checked_fields(category_code, description, lon, lat, accuracy_m)
    except BadInput:
        accounts.user_for_token(token)  # an invalid token is answered first
        raise
    return _report(fields, photos, digest=accounts.token_digest(token))


def _checked_fields(category_code, description, lon, lat, accuracy_m=None) -> dict:
    """The report's fields checked without the database, in the order errors are answered:
    category given, description, coordinates, GPS accuracy (an unknown category is still reported
    before a bad description or point). Returns {category_code, description, lon, lat, accuracy_m}."""
    category_code = _check_category_given(category_code)
    try:
        description = _check_description(description)
        lon, lat = parse_lonlat(lon, lat)
        accuracy_m = None if accuracy_m in (None, "") else p.real(
            accuracy_m, "accuracy_m", 0, ACCURACY_MAX_M,
            _("定位精度 (accuracy_m) 必须是 0 到 %(max)s 米之间的数", max=ACCURACY_MAX_M))
    except BadInput:
        _check_category(category_code)
        raise
    return {"category_code": category_code, "description": description, "lon": lon, "lat": lat,
            "accuracy_m": accuracy_m}


def _report(fields: dict, photos, *, uid: int | None = None, digest: str | None = None,
            now: datetime | None = None) -> dict:
    """Report for the user ``uid`` or the holder of the token whose digest is ``digest``: one
    statement (:func:`_report_statement`) checks and inserts; the errors are then raised in the
    order of :func:`report_incident`: token, category, district, scope, attachments."""
    try:  # only well-formed references go into the statement; the others are refused after it
        photos = check_attachment_refs(photos)
        refs_ok = all(ref.startswith("photo:") for ref in photos)
    except BadInput:
        refs_ok = False
    now = now or utcnow()
    params = {**fields, "now": now, "refs_ok": refs_ok, "photo_ids": [ref[6:] for ref in photos] if refs_ok else [],
              "attachments": json.dumps(photos if refs_ok else []),
              **dict(zip(BOX, search_box(fields["lon"], fields["lat"]), strict=True))}
    if digest is None:
        rows = compiled.execute("incident-report-uid", _report_statement, {**params, "uid": uid}, alone=True)
    else:
        rows = compiled.execute("incident-report-token", lambda: _report_statement(by_token=True),
                                {**params, "digest": digest}, alone=True)
    first = rows[0]
    if first.uid is None:
        raise accounts.invalid_token()
    if not first.category_ok:
        raise _bad_category(fields["category_code"])
    loc = location_of(first)
    if loc is None:
        raise Unprocessable(outside_district(fields["lon"], fields["lat"]).message, code="outside_district")
    if not first.in_scope:
        raise outside_scope(Holder(first.uid, first.role, first.scope_code), loc)
    if first.id is None:  # attachments: raise the error naming the reference
        require_uploaded(first.uid, photos)
        raise RuntimeError("the incident was not inserted although every check passed")
    summary = {"id": first.id, "grid_code": loc.grid_code, "community_code": loc.community_code,
               "status": first.status, "reported_at": first.reported_at.isoformat(),
               "possible_duplicates": [candidate_json(r.dup_id, r.dup_distance, r.dup_status, r.dup_reported_at)
                                       for r in rows if r.dup_id is not None]}
    if db.session().in_transaction():  # the statement ran in the session's transaction (else it committed alone)
        db.session.commit()
    return summary


#: Bind names of the duplicates' search box (duplicates.search_box order).
BOX = ("min_lon", "min_lat", "max_lon", "max_lat")


def _report_statement(by_token: bool = False):
    """The whole report as one statement (compiled once, :mod:`gridapp.core.compiled`).

    Reads the reporter (by bind ``uid``, or as the holder of the live token ``digest`` at ``now``),
    whether ``category_code`` is a leaf, the location of (``lon``, ``lat``) by the one rule
    (:func:`gridapp.boundaries.locate.location_select`), whether it lies in the reporter's scope
    (:mod:`gridapp.core.scope`, the rule of the reporter's role) and whether the reporter uploaded
    every photo of ``photo_ids`` (and ``refs_ok``; :func:`~.attachments.require_uploaded`); only
    when all hold, INSERTs the case (version 1, state reported, ``reported_at`` = ``now``) and its
    first history row (report, — → reported, ``attachments`` JSON), and returns with them the possible duplicates
    (:mod:`gridapp.incidents.duplicates`, at most 20, nearest first; search box ``min_lon`` …).
    One row per duplicate (one with null dup_* when none); columns: the location (code,
    parent_code, district_code, grid), uid, role, scope_code, category_ok, in_scope, id,
    reported_at, status, dup_id, dup_distance (m), dup_status, dup_reported_at."""
    def b(name, type_=String):
        return bindparam(name, type_=type_)

    lon, lat, now = b("lon", Float), b("lat", Float), b("now", DateTime(timezone=True))
    if by_token:
        holder = accounts.token_user_select(User.id, User.role, User.scope_code, digest=b("digest"), now=now)
    else:
        holder = select(User.id, User.role, User.scope_code).where(User.id == b("uid", Integer))
    holder = holder.subquery("holder")
    intake = location_select(lon, lat, [holder], uid=holder.c.id, role=holder.c.role, scope_code=holder.c.scope_code,
                             category_ok=_leaf_category_exists(b("category_code"))
                             ).cte("intake").prefix_with("MATERIALIZED")  # its grid is read twice: locate once
    reporter = Holder(intake.c.uid, intake.c.role, intake.c.scope_code)
    photo = func.unnest(b("photo_ids", ARRAY(String))).table_valued("sha256").render_derived(name="photo")
    checks = select(intake, scope_condition(reporter, intake.c.district_code, intake.c.code, intake.c.grid)
                    .label("in_scope")).cte("checks")
    photos_ok = and_(b("refs_ok", Boolean), ~exists().select_from(photo).where(~exists().where(
        PhotoUpload.sha256 == photo.c.sha256, PhotoUpload.user_id == select(checks.c.uid).scalar_subquery())))
    ins = insert(Incident).from_select(
        ["category_code", "description", "geom", "grid_code", "community_code", "district_code", "reporter_id",
         "status", "reported_at", "version", "location_accuracy_m"],
        select(b("category_code"), b("description"), point_expr(lon, lat), checks.c.grid, checks.c.code,
               checks.c.district_code, checks.c.uid, literal(IncidentStatus.REPORTED.value), now, literal(1),
               b("accuracy_m", Float))
        .where(checks.c.category_ok, checks.c.code.is_not(None), checks.c.in_scope, photos_ok),
    ).returning(Incident.id, Incident.reporter_id, Incident.reported_at, Incident.status).cte("ins")
    history = insert(IncidentEvent).from_select(
        ["incident_id", "actor_id", "at", "action", "from_state", "to_state", "data", "attachments"],
        select(ins.c.id, ins.c.reporter_id, ins.c.reported_at, literal("report"), null(), ins.c.status,
               cast(literal("{}"), JSON), cast(b("attachments"), JSON))).cte("history")
    # the reporter as self-contained sub-selects of the one-row CTEs: the scope rule nests them in
    # its own sub-selects, where a correlated column would not be correlated but joined
    inserted_by = Holder(select(ins.c.reporter_id).scalar_subquery(), select(checks.c.role).scalar_subquery(),
                         select(checks.c.scope_code).scalar_subquery())
    near, conditions, distance = candidate_conditions(inserted_by, b("category_code"), lon, lat,
                                                      [b(n, Float) for n in BOX], now)
    dup = (select(near.id, distance.label("distance"), near.status, near.reported_at)
           .where(*conditions).order_by(distance, near.id).limit(DUPLICATES_LIMIT).subquery("dup"))
    return (select(checks.c.code, checks.c.parent_code, checks.c.district_code, checks.c.grid, checks.c.uid,
                   checks.c.role, checks.c.scope_code, checks.c.category_ok, checks.c.in_scope, ins.c.id,
                   ins.c.reported_at, ins.c.status, dup.c.id.label("dup_id"), dup.c.distance.label("dup_distance"),
                   dup.c.status.label("dup_status"), dup.c.reported_at.label("dup_reported_at"))
            .select_from(checks.outerjoin(ins, true()).outerjoin(dup, true()))
            .add_cte(history).order_by(dup.c.distance, dup.c.id))


def visible_incidents(user: User, limit: int = 500) -> list[Incident]:
    """The incidents the user may see, newest first (at most ``limit``)."""
    return list(db.session.scalars(select(Incident).where(incident_filter(user))
                                   .order_by(Incident.reported_at.desc(), Incident.id.desc())
                                   .limit(limit)))


def incident_feature(incident: Incident) -> dict:
    """GeoJSON Feature of an incident (Point, lon/lat; reported_at ISO 8601 UTC)."""
    return {
        "type": "Feature",
        "id": incident.id,
        "geometry": geojson_geometry(to_shape(incident.geom)),
        "properties": {
            "id": incident.id,
            "category_code": incident.category_code,
            "category_name": incident.category.name,
            "description": incident.description,
            "grid_code": incident.grid_code,
            "community_code": incident.community_code,
            "status": incident.status,
            "reported_at": incident.reported_at.isoformat(),
            "version": incident.version,
            "deadline_at": incident.deadline_at.isoformat() if incident.deadline_at else None,
            "overdue": deadline_flags(incident)["overdue"],
        },
    }
