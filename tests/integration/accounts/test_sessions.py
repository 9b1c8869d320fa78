"""Sessions and login security: server-side logout, remember-me, rotation, lockout, tokens."""
from __future__ import annotations

import re

import pytest

from gridapp.accounts.rules import ACCOUNT_LOCK_FAILURES

PASSWORD = "test-password-1"  # make_user's (tests/conftest.py)


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


@pytest.fixture
def login_from(client, csrf_of):
    """``login_from(address, username, password=…, api=False)``: a login (web form, or the API
    token) from client address ``address``."""

    def _login(address: str, username: str, password: str = PASSWORD, api: bool = False):
        env = {"REMOTE_ADDR": address}
        if api:
            return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                               environ_base=env)
        page = client.get("/login", environ_base=env)
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(page.text)}, environ_base=env)

    return _login


def test_failures_are_throttled_per_username_and_address_alike_for_unknown_names(login_from, make_user):
    """Issue 18: five wrong passwords throttle that username from that address (429 for the web
    form and the API alike, whatever the password), the same for an unknown username; the owner
    logging in from another address is not locked out."""
    user = make_user("secretary", "610202002010")
    answers = {}
    for name in (user.username, "no-such-user-x"):
        failed = [login_from("10.9.0.1", name, "wrong-password") for _ in range(5)]
        throttled = (login_from("10.9.0.1", name), login_from("10.9.0.1", name, api=True))
        answers[name] = ([r.status_code for r in failed], [r.status_code for r in throttled],
                         throttled[1].get_json(), _flashes(failed[0].text), throttled[1].headers.get("Retry-After"))
    assert answers[user.username] == answers["no-such-user-x"]
    assert answers[user.username][:2] == ([401] * 5, [429, 429])
    assert answers[user.username][2]["error"]["code"] == "too_many_requests"
    assert answers[user.username][4] == "60"  # the first tier: 5 per minute
    assert login_from("10.9.0.2", user.username).status_code == 302  # a stranger cannot lock it


def test_one_address_trying_many_usernames_is_stopped(login_from):
    statuses = [login_from("10.9.1.1", f"guess-{i}", "wrong-password", api=True).status_code
                for i in range(30)]
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 10
    assert login_from("10.9.1.2", "guess-0", "wrong-password", api=True).status_code == 401


def test_an_account_is_locked_only_when_attacked_from_many_addresses(app, login_from, make_user):
    user = make_user("secretary", "610202002010")
    for n in range(ACCOUNT_LOCK_FAILURES):  # 5 tries each from enough addresses
        assert login_from(f"10.9.2.{n // 5}", user.username, "wrong-password").status_code == 401
    locked = login_from("10.9.3.1", user.username)  # answers as a wrong password does
    assert locked.status_code == 401 and "用户名或密码错误" in locked.text
    result = app.test_cli_runner().invoke(args=["gridapp", "unlock", user.username])
    assert result.exit_code == 0, result.output
    assert login_from("10.9.3.1", user.username).status_code == 302


def _flashes(html: str) -> list[str]:
    return re.findall(r'class="flash[^"]*"[^>]*>([^<]*)', html)


def test_a_success_resets_the_failure_count(login_from, make_user, tx):
    user = make_user("secretary", "610202002010")
    for _ in range(4):
        login_from("10.9.4.1", user.username, "wrong-password")
    assert login_from("10.9.4.1", user.username).status_code == 302
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
