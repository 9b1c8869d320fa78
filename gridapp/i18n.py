"""Languages and time zones: simplified Chinese first, English second; times shown in Asia/Shanghai.

Message ids are written in simplified Chinese, so the default UI is Chinese even without a
compiled catalogue; ``gridapp/translations/en`` holds the English catalogue. A user switches
language at ``/lang/<code>`` (kept in the session).
"""
from __future__ import annotations

from flask import Flask, abort, has_request_context, redirect, request, session, url_for
from flask_babel import get_locale

from .core.timefmt import local_text
from .extensions import babel

LOCALES = {"zh": "zh_Hans_CN", "en": "en"}


#: paths whose clients choose their language per request (the APIs): ``?lang=en`` or
#: ``Accept-Language: en`` (issue 17); pages keep the session's choice (Chinese first)
API_PREFIXES = ("/api/", "/ogcapi")


def select_locale() -> str:
    """The request's language: for the APIs ``?lang=`` then ``Accept-Language``; for pages the
    session's choice (``/lang/<code>``); else simplified Chinese (also outside requests)."""
    if not has_request_context():
        return LOCALES["zh"]
    if request.path.startswith(API_PREFIXES):
        lang = request.args.get("lang") or request.accept_languages.best_match(list(LOCALES), default="zh")
    else:
        lang = session.get("lang", "zh")
    return LOCALES.get(lang, LOCALES["zh"])


#: Punctuation the templates write between values (not inside a translated message): full-width
#: in Chinese, Latin in English.
PUNCTUATION = {"zh": {"colon": "：", "comma": "，", "enum": "、", "semicolon": "；", "lp": "（", "rp": "）"},
               "en": {"colon": ": ", "comma": ", ", "enum": ", ", "semicolon": "; ", "lp": " (", "rp": ")"}}


def punct(name: str) -> str:
    """The punctuation mark ``name`` (colon, comma, enum 、, semicolon, lp, rp) of the page's language
    (template global ``punct``)."""
    return PUNCTUATION["en" if str(get_locale() or "") == "en" else "zh"][name]


def local_datetime_iso(value: str | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """Like :func:`gridapp.core.timefmt.local_text` for an ISO 8601 string (as in API dicts)."""
    from datetime import datetime

    return "" if not value else local_text(datetime.fromisoformat(value), fmt)


def init_app(app: Flask) -> None:
    """Initialise Flask-Babel, the ``local_dt`` template filters and the language switch route."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["local_dt"] = local_text
    app.jinja_env.filters["local_dt_iso"] = local_datetime_iso
    app.jinja_env.globals["current_locale"] = get_locale
    app.jinja_env.globals["punct"] = punct

    @app.route("/lang/<code>")
    def set_language(code: str):
        """Switch the UI language (``zh`` or ``en``) and go back to the same-site page."""
        if code not in LOCALES:
            abort(404)
        session["lang"] = code
        target = request.referrer or ""
        host = request.host_url
        return redirect(target if target.startswith(host) else url_for("web.home"))
