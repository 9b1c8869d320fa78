"""Accounts: passwords and their policy, login (throttled; locked only when attacked from many
addresses), server-side sessions, API tokens.

Rules:

* passwords are hashed with scrypt; a new password has at least ``PASSWORD_MIN_LENGTH``
  characters, is not all digits and differs from the username;
* failed logins are throttled and an account is locked only as :mod:`gridapp.accounts.rules`
  says (web form and API alike); an admin lifts a lock with ``flask --app wsgi gridapp unlock``;
* a login creates a server-side session; logout revokes it, so a copied session or remember-me
  cookie stops working;
* API tokens expire after ``TOKEN_HOURS`` (a setting) and can be revoked.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.clock import utcnow
from ..core.errors import BadInput, Unauthenticated
from ..extensions import db
from ..models import ApiToken, AuditEntry, User, UserSession
from .audit import record
from .rules import (
    ACCOUNT_LOCK_ADDRESSES,
    ACCOUNT_LOCK_FAILURES,
    ACCOUNT_LOCK_WINDOW_MINUTES,
    LOCKOUT_MINUTES,
    PASSWORD_MIN_LENGTH,
)

# A valid hash to compare against when the user does not exist, so that a missing user costs
# the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_password_policy(password: str, username: str = "") -> None:
    """Raise BadInput unless the password meets the policy in this module's docstring."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        raise BadInput(_("密码至少需要 %(n)s 个字符", n=PASSWORD_MIN_LENGTH), code="weak_password")
    if password.isdigit() or password.lower() == username.lower():
        raise BadInput(_("密码不能是纯数字，也不能与用户名相同"), code="weak_password")


def hash_password(password: str) -> str:
    """Hash a password with scrypt."""
    return generate_password_hash(password, method="scrypt")


def authenticate(username, password, channel: str = "web", address: str | None = None) -> User:
    """Return the active user with these credentials.

    Every outcome is audited (:mod:`gridapp.accounts.audit`: login, login_failed — with the
    client ``address`` —, lockout, login_locked; ``channel`` web | api). A wrong password, an
    unknown or inactive user and a locked account all raise the same Unauthenticated (401
    ``bad_credentials``), checked in the same time (a dummy hash for an unknown user). The account
    is locked when its recent failures come from many addresses (:mod:`gridapp.accounts.rules`);
    the throttles per address and per username are the web layer's (Flask-Limiter, 429)."""
    if not isinstance(username, str) or not isinstance(password, str) or not username.strip():
        raise Unauthenticated(_("请输入用户名和密码"), code="bad_credentials")
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    typed = username.strip()[:64]
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    wrong = Unauthenticated(_("用户名或密码错误"), code="bad_credentials")
    if user is not None and user.locked_until is not None and user.locked_until > utcnow():
        record(user, "login_locked", "user", user.id, channel=channel, address=address)
        db.session.commit()
        raise wrong
    if not (user and ok and user.active):
        reason = "unknown_user" if user is None else "bad_password" if not ok else "inactive"
        record(user, "login_failed", "user", user.id if user else None, username=typed, reason=reason,
               channel=channel, address=address)
        db.session.flush()
        if user is not None and not ok and _attacked_from_many_addresses(user):
            user.locked_until = utcnow() + timedelta(minutes=LOCKOUT_MINUTES)
            record(user, "lockout", "user", user.id, minutes=LOCKOUT_MINUTES, channel=channel)
        db.session.commit()
        raise wrong
    user.failed_logins, user.locked_until = 0, None
    record(user, "login", "user", user.id, channel=channel, address=address)
    db.session.commit()
    return user


def record_throttled(username: str, address: str | None, limit: str) -> None:
    """Audit a login the throttles refused (``login_throttled``: the username as typed, the client
    address, the limit hit); one transaction."""
    record(None, "login_throttled", "user", None, username=username, address=address, limit=limit)
    db.session.commit()


def _attacked_from_many_addresses(user: User) -> bool:
    """The account-wide lock's condition (:mod:`gridapp.accounts.rules`): enough failed logins of
    the account from enough distinct client addresses within the window (read from the audit log)."""
    since = utcnow() - timedelta(minutes=ACCOUNT_LOCK_WINDOW_MINUTES)
    address = AuditEntry.detail["address"].astext
    failures, addresses = db.session.execute(
        select(func.count(), func.count(func.distinct(address))).where(
            AuditEntry.action == "login_failed", AuditEntry.entity == "user", AuditEntry.entity_id == user.id,
            AuditEntry.at >= since)).one()
    return failures >= ACCOUNT_LOCK_FAILURES and addresses >= ACCOUNT_LOCK_ADDRESSES


def unlock(username: str) -> None:
    """Lift a login lockout (admin). Raises BadInput for an unknown user."""
    found = db.session.execute(update(User).where(User.username == username)
                               .values(failed_logins=0, locked_until=None).returning(User.id)).first()
    if found is None:
        db.session.rollback()
        raise BadInput(_("用户 %(name)s 不存在", name=username), code="unknown_user")
    record(None, "unlock", "user", found[0], username=username)
    db.session.commit()


def start_session(user: User) -> str:
    """Open a server-side session for the user; return its id (also set on ``user.login_sid``)."""
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(sid_sha256=_digest(sid), user_id=user.id))
    db.session.commit()
    user.login_sid = sid
    return sid


def end_session(sid: str | None, user: User | None = None) -> None:
    """Revoke a server-side session (logout; audited when ``user`` is given). Unknown ids are ignored."""
    if user is not None:
        record(user, "logout", "user", user.id)
    if sid:
        db.session.execute(update(UserSession).where(UserSession.sid_sha256 == _digest(sid),
                                                     UserSession.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    db.session.commit()


def load_session_user(identity: str) -> User | None:
    """Resolve a flask-login identity ``"<user id>:<session id>"``; None when the session is
    unknown or revoked, or the user inactive."""
    user_id, _sep, sid = identity.partition(":")
    if not user_id.isdigit() or not sid:
        return None
    row = db.session.get(UserSession, _digest(sid))
    if row is None or row.revoked_at is not None or row.user_id != int(user_id):
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    user.login_sid = sid
    return user


def issue_token(user: User, hours: int) -> tuple[str, datetime]:
    """Create an API token valid for ``hours``; return (token, expiry UTC). One transaction."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=hours)
    db.session.add(ApiToken(user_id=user.id, token_sha256=_digest(token), expires_at=expires))
    db.session.commit()
    return token, expires


def revoke_token(token: str, user: User | None = None) -> None:
    """Revoke an API token (it stops working at once; audited when ``user`` is given)."""
    if user is not None:
        record(user, "token_revoke", "user", user.id)
    db.session.execute(update(ApiToken).where(ApiToken.token_sha256 == _digest(token),
                                              ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
    db.session.commit()


def token_user_select(*columns, digest, now):
    """SELECT ``columns`` (default: the User entity) of the active user holding the live token whose
    SHA-256 hex digest is ``digest`` (a value or a bind parameter) at ``now`` (aware UTC, value or
    bind parameter): not revoked, not expired. One row or none: the one rule of token validity."""
    return (select(*(columns or (User,))).select_from(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_sha256 == digest, ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > now, User.active.is_(True)))


def token_digest(token: str) -> str:
    """The stored form of a bearer token (SHA-256 hex digest; tokens are never stored)."""
    return _digest(token)


def invalid_token() -> Unauthenticated:
    """The error of an unknown, expired or revoked token, or of an inactive user (401)."""
    return Unauthenticated(_("令牌无效或已过期"), code="invalid_token")


def user_for_token(token: str) -> User:
    """Return the user of a bearer token; raise Unauthenticated if unknown, expired or revoked."""
    user = db.session.scalar(token_user_select(digest=_digest(token), now=utcnow()))  # token and user together
    if user is None:
        raise invalid_token()
    return user
