"""Accounts: password check, API tokens, session identity."""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Unauthenticated
from ..extensions import db
from ..models import ApiToken, User

# A valid hash to compare against when the user does not exist, so that a missing user costs
# the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_password(password: str) -> str:
    """Hash a password with scrypt (werkzeug's default)."""
    return generate_password_hash(password, method="scrypt")


def authenticate(username, password) -> User:
    """Return the active user with these credentials; raise Unauthenticated otherwise."""
    if not isinstance(username, str) or not isinstance(password, str):
        raise Unauthenticated(_("请输入用户名和密码"), code="bad_credentials")
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not (user and ok and user.active):
        raise Unauthenticated(_("用户名或密码错误"), code="bad_credentials")
    return user


def load_session_user(identity: str) -> User | None:
    """Resolve a flask-login identity ``"<id>:<session_version>"``; None if stale or unknown."""
    try:
        user_id, version = (int(part) for part in identity.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, hours: int) -> tuple[str, datetime]:
    """Create an API token valid for ``hours``; return (token, expiry UTC). One transaction."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=hours)
    db.session.add(ApiToken(user_id=user.id, token_sha256=_digest(token), expires_at=expires))
    db.session.commit()
    return token, expires


def user_for_token(token: str) -> User:
    """Return the user of a bearer token; raise Unauthenticated if unknown, expired or revoked."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC) \
            or not row.user.active:
        raise Unauthenticated(_("令牌无效或已过期"), code="invalid_token")
    return row.user
