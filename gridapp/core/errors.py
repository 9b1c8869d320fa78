"""Domain errors: what a refused request carries (status, stable code, message, field).

Framework-free: :mod:`gridapp.errors` renders them (JSON under ``/api``, an HTML page elsewhere).
Routes never parse message strings: status, code and field travel on the exception.
"""
from __future__ import annotations


class DomainError(Exception):
    """A refused request: ``status`` (HTTP), ``code`` (stable machine token), ``message`` (for
    people), ``field`` (the input at fault, when one is: a parameter name or JSON pointer)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: dict | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}
        self.field = field


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
    """No such object, or one outside the caller's scope (404: not revealed)."""

    status, code = 404, "not_found"


class Conflict(DomainError):
    """The object changed meanwhile, or is in a state that does not allow the action (409)."""

    status, code = 409, "conflict"


class Unprocessable(DomainError):
    """Well-formed but refused by a domain rule, e.g. a point outside the district (422)."""

    status, code = 422, "unprocessable"
