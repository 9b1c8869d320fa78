"""Sessions and login security: server-side logout, remember-me, rotation, lockout, tokens."""
from __future__ import annotations

import pytest

from gridapp.accounts.rules import MAX_FAILED_LOGINS


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def test_a_session_cookie_captured_before_logout_no_longer_works(app, client, login, csrf_of):
    assert login("district").status_code == 302
    stolen = _cookie(client, "session")
    home = client.get("/")
    assert home.status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(home.text)})
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get("/").status_code == 302  # refused: back to the login page


def test_a_remember_me_cookie_is_refused_after_logout(app, client, csrf_of):
    page = client.get("/login")
    client.post("/login", data={"username": "hongqi", "password": "test-password-1", "remember": "y",
                                "csrf_token": csrf_of(page.text)})
    remember = _cookie(client, "remember_token")
    assert remember
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    assert fresh.get("/").status_code == 200  # the remember-me cookie alone logs in ...
    home = client.get("/")
    client.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert _cookie(client, "remember_token") in (None, "")  # expired in the browser
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    assert replay.get("/").status_code == 302  # ... and is refused after logout


def test_the_session_is_renewed_at_login(client, login):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    before = _cookie(client, "session")
    login("district")
    assert _cookie(client, "session") != before
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_lockout_after_repeated_failures_and_admin_unlock(app, client, login, make_user):
    user = make_user("secretary", "610202002010")
    for _ in range(MAX_FAILED_LOGINS):
        assert login(user.username, "wrong-password").status_code == 401
    locked = login(user.username)  # even the right password is refused while locked
    assert locked.status_code == 429 and "账户已锁定" in locked.text
    api = client.post("/api/v1/auth/token", json={"username": user.username, "password": "test-password-1"})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "account_locked"
    result = app.test_cli_runner().invoke(args=["gridapp", "unlock", user.username])
    assert result.exit_code == 0, result.output
    assert login(user.username).status_code == 302


def test_a_success_resets_the_failure_count(login, make_user, tx):
    user = make_user("secretary", "610202002010")
    for _ in range(MAX_FAILED_LOGINS - 1):
        login(user.username, "wrong-password")
    assert login(user.username).status_code == 302
    tx.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_api_tokens_can_be_revoked(client, bearer):
    headers = bearer("district")
    assert client.get("/api/v1/grids?community_code=610202002010", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/grids", headers=headers).status_code == 401


def test_api_tokens_expire(app, client, bearer, tx):
    from datetime import UTC, datetime, timedelta

    from gridapp.models import ApiToken

    headers = bearer("district")
    token = tx.query(ApiToken).order_by(ApiToken.id.desc()).first()
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    tx.commit()
    assert client.get("/api/v1/grids", headers=headers).status_code == 401


@pytest.mark.parametrize("password,ok", [("short", False), ("1234567890123", False),
                                         ("newadmin123", False), ("a-long-passphrase", True)])
def test_password_policy_in_create_user(app, tx, password, ok):
    result = app.test_cli_runner().invoke(args=[
        "gridapp", "create-user", "--username", "newadmin123", "--role", "admin",
        "--password", password])
    assert (result.exit_code == 0) is ok, result.output
