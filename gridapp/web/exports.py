"""Exports of the lists the pages show (issue 23): ``<list>/export.<csv|xlsx|geojson>`` with the
page's own filters as query arguments, streamed (:func:`gridapp.downloads.table_response`).
``?excel=1`` writes CSV for Excel (byte-order mark); ``?reveal=1`` writes personal values in full
for the roles allowed (each value logged). A bad filter is a 400 naming the field, before any
byte; a role that may not reveal is a 403.

A list of more than :data:`gridapp.exports.rules.EXPORT_JOB_ROWS` rows — or any list with
``?job=1`` — is not streamed: the URL answers with a redirect to the page of an export job
(:mod:`gridapp.web.export_jobs`) that writes the same file."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_login import current_user, login_required

from ..core import params as p
from ..core.exportfiles import FORMATS
from ..downloads import table_response
from ..exports import jobs as export_jobs
from ..exports.lists import table_of
from ..settings import export_dir
from . import bp

EXPORT_FORMATS = "any(" + ",".join(FORMATS) + "):fmt"
#: query arguments of an export link that are not the list's filters
EXPORT_OPTIONS = ("fmt", "excel", "reveal", "job")


@bp.app_template_filter("export_query")
def export_query(args) -> dict:
    """Jinja filter: a page's query arguments for its export links: non-empty ones, without
    paging (``page``, ``per_page``) and the link's own ``fmt``, ``excel``, ``reveal``, ``job``."""
    return {k: v for k, v in dict(args).items()
            if v not in (None, "") and k not in ("page", "per_page") + EXPORT_OPTIONS}


def _export(name: str, fmt: str):
    """The list ``name`` in ``fmt``: streamed, or (large, or ``job``) queued as an export job."""
    user = current_user._get_current_object()  # rows are read while the response is sent
    args = request.args.to_dict()
    reveal, for_excel = p.flag(request.args, "reveal"), p.flag(request.args, "excel")
    table = table_of(name, user, args, reveal)
    if export_jobs.needs_job(table, p.flag(request.args, "job")):
        filters = {k: v for k, v in args.items() if k not in EXPORT_OPTIONS}
        job = export_jobs.start(user, table, name, fmt, filters, reveal, for_excel, export_dir())
        return redirect(url_for("web.export_job_page", job_id=job.id))
    return table_response(table, fmt, for_excel=for_excel)


@bp.route(f"/cases/export.<{EXPORT_FORMATS}>")
@login_required
def cases_export(fmt: str):
    """The case board's cases (filters state, category, grid, community, overdue, from, to, mine, reported_by_me,
    and ``bbox`` for the incident map's view), every row, newest first."""
    return _export("cases", fmt)


@bp.route(f"/disputes/export.<{EXPORT_FORMATS}>")
@login_required
def disputes_export(fmt: str):
    """The dispute register (filters of the board), with parties masked unless ``reveal``."""
    return _export("disputes", fmt)


@bp.route(f"/places/export.<{EXPORT_FORMATS}>")
@login_required
def places_export(fmt: str):
    """The place registry (filters ``type``, ``status``)."""
    return _export("places", fmt)


@bp.route(f"/notices/export.<{EXPORT_FORMATS}>")
@login_required
def notices_export(fmt: str):
    """The rectification notices in scope."""
    return _export("notices", fmt)


@bp.route(f"/inspections/export.<{EXPORT_FORMATS}>")
@login_required
def inspections_export(fmt: str):
    """The inspections of the figures page's area (level, code), period (from, to) and campaign."""
    return _export("inspections", fmt)


@bp.route(f"/org/party-members/export.<{EXPORT_FORMATS}>")
@login_required
def members_export(fmt: str):
    """Party members the user may read (``community``, ``grid`` optional), masked unless ``reveal``."""
    return _export("party-members", fmt)
