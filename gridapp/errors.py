"""The one handler that renders domain errors (:mod:`gridapp.core.errors`, re-exported here).

Domain code raises :class:`DomainError` subclasses; the handler renders JSON
``{"error": {"code": ..., "message": ...}}`` under ``/api`` and an HTML error page elsewhere.
Routes never parse message strings: status and code travel on the exception.
"""
from __future__ import annotations

import psycopg
import sqlalchemy.exc
from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from .core.errors import (  # noqa: F401 (re-exported: the one hierarchy)
    BadInput,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Unauthenticated,
    Unprocessable,
)

# Messages shown for werkzeug's HTTP errors (instead of its English descriptions).
HTTP_MESSAGES = {400: _l("请求无效"), 401: _l("需要登录"), 403: _l("无权访问"), 404: _l("页面不存在"),
                 405: _l("不支持该请求方法"), 413: _l("上传内容过大"), 429: _l("尝试过于频繁，请稍后再试"),
                 500: _l("服务器内部错误"),
                 503: _l("数据库暂时不可用，请稍后重试")}
#: Seconds a client is asked to wait (Retry-After) when the database is unavailable.
RETRY_AFTER_S = 5


def http_message(status: int) -> str:
    """Translated message of an HTTP error status (other 4xx as 400, other 5xx as 500)."""
    return str(HTTP_MESSAGES.get(status) or HTTP_MESSAGES[500 if status >= 500 else 400])


#: path prefixes whose errors are JSON (the API, the OGC API, Open311's unmatched paths)
JSON_PREFIXES = ("/api/", "/ogcapi", "/open311/")


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def _render(status: int, code: str, message: str, details: dict | None = None, field: str | None = None):
    if _wants_json():
        body = {"error": {"code": code, "message": message}}
        if field:
            body["error"]["field"] = field
        if details:
            body["error"]["details"] = details
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    """Register the handlers for DomainError, HTTP errors and unexpected exceptions."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        return _render(err.status, err.code, err.message, err.details, err.field)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        body, status = _render(err.code or 500, code, http_message(err.code or 500))
        response = app.make_response((body, status))
        for name, value in err.get_headers():  # Allow of a 405
            if name.lower() == "allow":
                response.headers[name] = value
        throttle = getattr(getattr(err, "limit", None), "limit", None)  # a login throttle's 429 (Flask-Limiter)
        if err.code == 429 and throttle is not None:
            response.headers["Retry-After"] = str(throttle.get_expiry())
        return response

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(psycopg.OperationalError)
    def _database_unavailable(err: Exception):
        """The database is down, restarting or unreachable, or cancelled the statement: 503 with
        Retry-After, so that clients retry (the request's transaction did not complete; as with any
        database, a commit under way when the connection dropped may still have happened). The
        page is rendered without the database (the usual layout reads the logged-in user)."""
        app.logger.warning("database unavailable: %s", err)
        message = http_message(503)
        if _wants_json():
            response = jsonify({"error": {"code": "database_unavailable", "message": message}})
        else:
            response = app.make_response(f"<!doctype html><meta charset=\"utf-8\"><title>503</title><p>{message}</p>")
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):  # pragma: no cover - last resort
        app.logger.exception("unhandled error")
        return _render(500, "internal_error", http_message(500))
