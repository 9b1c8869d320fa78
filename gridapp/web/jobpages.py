"""What the pages of long jobs (an import's, an export's) share: the JSON their page polls and the
cancel button's answer (gridapp.jobs.longjob)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, jsonify, redirect
from flask_babel import gettext as _

from ..errors import DomainError
from . import refuse_page_action
from .forms import AdminForm


def job_json(job: dict) -> Response:
    """A job's dict as JSON, never cached (its page polls it while the job runs)."""
    response = jsonify(job)
    response.headers["Cache-Control"] = "no-store"
    return response


def cancel_from_page(cancel: Callable[[], object], asked: str, back: str) -> Response:
    """The cancel button (a CSRF form): ``cancel()`` asks the job to stop; ``asked`` is flashed
    when it did, a refusal (finished) is flashed instead, out of reach is 403/404; back to ``back``."""
    if not AdminForm().validate_on_submit():
        flash(_("表单已过期，请重试。"), "error")
    else:
        try:
            cancel()
        except DomainError as err:
            refuse_page_action(err)
        else:
            flash(asked, "info")
    return redirect(back)
