"""Session login wiring (flask-login) and the API's bearer-token authentication."""
from __future__ import annotations

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .accounts.rules import LOGIN_LIMIT_PER_ACCOUNT, LOGIN_LIMIT_PER_ADDRESS
from .accounts.service import load_session_user, record_throttled, user_for_token
from .core.errors import Unauthenticated
from .extensions import limiter, login_manager
from .models import User

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def api_user() -> User:
    """The caller of an API request.

    ``Authorization: Bearer <token>`` always works; a browser session cookie is accepted for
    safe methods only (so no API write can be forged cross-site). Raises Unauthenticated (401).
    """
    token = bearer_token()
    if token is not None:
        return user_for_token(token)
    if request.method in SAFE_METHODS and current_user.is_authenticated:
        return current_user._get_current_object()
    raise Unauthenticated(_("请发送 Authorization: Bearer <token>（由 POST /api/v1/auth/token 获取）"),
                          code="unauthenticated")


def bearer_token() -> str | None:
    """The token of this request's ``Authorization: Bearer <token>`` header (not yet checked),
    None without the header. For reading (safe methods) HTTP Basic carries the token as its
    password (any user name): what desktop GIS (QGIS, GDAL, ArcGIS) can send — an API key an
    admin issues with ``flask --app wsgi gridapp issue-key``. Raises Unauthenticated (401) for a
    header of another form."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    basic = request.authorization
    if basic is not None and basic.type == "basic" and request.method in SAFE_METHODS and basic.password:
        return basic.password
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(_("Authorization 头必须是 Bearer <token>"), code="invalid_token")
    return token.strip()


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a request without a session cookie (every API
    call with a bearer token) starts with an empty session at once, without building the signer."""

    def open_session(self, app: Flask, request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Configure flask-login (identity loader, login view, translated messages) and sessions."""
    app.session_interface = CookieSessionInterface()
    login_manager.login_view = "web.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)

    @app.before_request
    def _reset_api_user():
        g.pop("api_user", None)


# --- login throttles (issue 18; the numbers: gridapp/accounts/rules.py) -------------------------

def _typed_username() -> str:
    """The username a login request names (form field or JSON member), normalised."""
    value = request.form.get("username")
    if value is None:
        body = request.get_json(silent=True)
        value = body.get("username") if isinstance(body, dict) else None
    return str(value or "").strip().lower()[:64]


def _account_key() -> str:
    return f"{request.remote_addr}|{_typed_username()}"


def _failed(response) -> bool:
    return response.status_code == 401


def _breached(limit) -> None:
    """Audit a throttled login (the answer is the same 429 whatever the username)."""
    record_throttled(_typed_username(), request.remote_addr, str(limit.limit))


#: The decorators of every login endpoint (web form and API token): only failed logins (401) count;
#: the counters are shared by the endpoints (``scope``).
throttled_login = [
    limiter.shared_limit(LOGIN_LIMIT_PER_ADDRESS, "login-address", methods=["POST"], deduct_when=_failed,
                         on_breach=_breached),
    limiter.shared_limit(LOGIN_LIMIT_PER_ACCOUNT, "login-account", key_func=_account_key, methods=["POST"],
                         deduct_when=_failed, on_breach=_breached),
]


#: The views that carry limits (``module.qualname``): the login views (:func:`login_throttle`).
THROTTLED_VIEWS: set[str] = set()


def login_throttle(view):
    """Apply :data:`throttled_login` to a login view."""
    for decorator in throttled_login:
        view = decorator(view)
    THROTTLED_VIEWS.add(f"{view.__module__}.{view.__qualname__}")
    return view


@limiter.request_filter
def _without_limits() -> bool:
    """Exempt (True) a request whose view carries no limit: the app sets no default or
    application-wide limits, only the login throttles, so elsewhere Flask-Limiter's per-request
    evaluation finds nothing to count — and costs ≈ 0.05 ms of every API call (bench/create.py)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return view is None or f"{view.__module__}.{view.__qualname__}" not in THROTTLED_VIEWS
