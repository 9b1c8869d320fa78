"""Domain errors and the one handler that renders them.

Services raise :class:`DomainError` subclasses; the handler renders JSON
``{"error": {"code": ..., "message": ...}}`` under ``/api`` and an HTML error page elsewhere.
Routes never parse message strings: status and code travel on the exception.
"""
from __future__ import annotations

import psycopg
import sqlalchemy.exc
from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A refused request: ``status`` (HTTP), ``code`` (stable machine token), ``message`` (for people)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}


class BadInput(DomainError):
    """Malformed or out-of-range input (400)."""

    status, code = 400, "bad_input"


class Unauthenticated(DomainError):
    """No or invalid credentials (401)."""

    status, code = 401, "unauthenticated"


class Forbidden(DomainError):
    """Authenticated, but outside the caller's role or scope (403)."""

    status, code = 403, "forbidden"


class NotFound(DomainError):
    """No such object, or a point outside every district (404)."""

    status, code = 404, "not_found"


class Conflict(DomainError):
    """The object changed meanwhile (409)."""

    status, code = 409, "conflict"


class TooManyAttempts(DomainError):
    """Too many failed attempts: the account is locked for a while (429)."""

    status, code = 429, "account_locked"


class Unprocessable(DomainError):
    """Well-formed but refused by a domain rule, e.g. a point outside the district (422)."""

    status, code = 422, "unprocessable"


# Messages shown for werkzeug's HTTP errors (instead of its English descriptions).
HTTP_MESSAGES = {400: _l("请求无效"), 401: _l("需要登录"), 403: _l("无权访问"), 404: _l("页面不存在"),
                 405: _l("不支持该请求方法"), 413: _l("上传内容过大"), 500: _l("服务器内部错误"),
                 503: _l("数据库暂时不可用，请稍后重试")}
#: Seconds a client is asked to wait (Retry-After) when the database is unavailable.
RETRY_AFTER_S = 5


def http_message(status: int) -> str:
    """Translated message of an HTTP error status (other 4xx as 400, other 5xx as 500)."""
    return str(HTTP_MESSAGES.get(status) or HTTP_MESSAGES[500 if status >= 500 else 400])


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, code: str, message: str, details: dict | None = None):
    if _wants_json():
        body = {"error": {"code": code, "message": message}}
        if details:
            body["error"]["details"] = details
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    """Register the handlers for DomainError, HTTP errors and unexpected exceptions."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        return _render(err.status, err.code, err.message, err.details)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        return _render(err.code or 500, code, http_message(err.code or 500))

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
