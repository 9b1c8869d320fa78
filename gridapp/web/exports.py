"""Exports of the lists the pages show (issue 23): ``<list>/export.<csv|xlsx|geojson>`` with the
page's own filters as query arguments, streamed (:func:`gridapp.downloads.table_response`).
``?excel=1`` writes CSV for Excel (byte-order mark); ``?reveal=1`` writes personal values in full
for the roles allowed (each value logged). A bad filter is a 400 naming the field, before any
byte; a role that may not reveal is a 403."""
from __future__ import annotations

from flask import request
from flask_login import current_user, login_required

from ..core import params as p
from ..core.exportfiles import FORMATS
from ..disputes.exports import disputes_table
from ..downloads import table_response
from ..incidents.exports import cases_table
from ..inspections.exports import inspections_table, notices_table
from ..org.exports import members_table
from ..places.exports import places_table
from . import bp

EXPORT_FORMATS = "any(" + ",".join(FORMATS) + "):fmt"


@bp.app_template_filter("export_query")
def export_query(args) -> dict:
    """Jinja filter: a page's query arguments for its export links: non-empty ones, without
    paging (``page``, ``per_page``) and the link's own ``fmt``, ``excel``, ``reveal``."""
    return {k: v for k, v in dict(args).items()
            if v not in (None, "") and k not in ("page", "per_page", "fmt", "excel", "reveal")}


def _user():
    """The logged-in user object itself: the rows are read while the response is sent, where the
    ``current_user`` proxy no longer finds it."""
    return current_user._get_current_object()


def _send(table, fmt: str):
    return table_response(table, fmt, for_excel=p.flag(request.args, "excel"))


def _reveal() -> bool:
    return p.flag(request.args, "reveal")


@bp.route(f"/cases/export.<{EXPORT_FORMATS}>")
@login_required
def cases_export(fmt: str):
    """The case board's cases (filters state, category, grid, community, overdue, from, to, mine,
    and ``bbox`` for the incident map's view), every row, newest first."""
    return _send(cases_table(_user(), request.args.to_dict()), fmt)


@bp.route(f"/disputes/export.<{EXPORT_FORMATS}>")
@login_required
def disputes_export(fmt: str):
    """The dispute register (filters of the board), with parties masked unless ``reveal``."""
    return _send(disputes_table(_user(), request.args.to_dict(), reveal=_reveal()), fmt)


@bp.route(f"/places/export.<{EXPORT_FORMATS}>")
@login_required
def places_export(fmt: str):
    """The place registry (filters ``type``, ``status``)."""
    return _send(places_table(_user(), request.args.get("type") or None, request.args.get("status") or None), fmt)


@bp.route(f"/notices/export.<{EXPORT_FORMATS}>")
@login_required
def notices_export(fmt: str):
    """The rectification notices in scope."""
    return _send(notices_table(current_user), fmt)


@bp.route(f"/inspections/export.<{EXPORT_FORMATS}>")
@login_required
def inspections_export(fmt: str):
    """The inspections of the figures page's area (level, code), period (from, to) and campaign."""
    a = request.args
    return _send(inspections_table(_user(), a.get("level") or None, a.get("code") or None, a.get("from") or None,
                                   a.get("to") or None, a.get("campaign_id") or None), fmt)


@bp.route(f"/org/party-members/export.<{EXPORT_FORMATS}>")
@login_required
def members_export(fmt: str):
    """Party members the user may read (``community``, ``grid`` optional), masked unless ``reveal``."""
    a = request.args
    return _send(members_table(_user(), a.get("community") or None, a.get("grid") or None, reveal=_reveal()), fmt)
