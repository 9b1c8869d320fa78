"""Test fixtures: a throwaway PostGIS cluster per run, the demo district loaded once, and a
transaction per test that is rolled back (services' commits become savepoint releases)."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from gridapp import create_app, provision
from gridapp.extensions import db

TEST_PASSWORD = "test-password-1"


def _fresh_database(server_url: str, name: str | None = None) -> tuple[str, str]:
    """Create a new database (``name``, default gridapp_test_<pid>) with PostGIS on the server of
    ``server_url``; return (its URL, the URL of the server's postgres database)."""
    url = make_url(server_url)
    name = name or f"gridapp_test_{os.getpid()}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    test_url = url.set(database=name)
    with psycopg.connect(test_url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return test_url.render_as_string(hide_password=False), admin


@pytest.fixture
def fresh_database():
    """``fresh_database(server_url, name)`` → (URL of a new PostGIS database ``name`` on that
    server, URL of its postgres database); the caller drops it."""
    return _fresh_database


@pytest.fixture(scope="session")
def database_url():
    """URL of an empty PostGIS database for this run: a fresh database on DATABASE_URL's server
    when set, else a private socket-only cluster in a temporary folder (removed afterwards)."""
    if os.environ.get("DATABASE_URL"):
        url, admin = _fresh_database(os.environ["DATABASE_URL"])
        yield url
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        return
    base = Path(tempfile.mkdtemp(prefix="gridapp-t", dir="/tmp"))
    try:
        yield provision.start(base, throwaway=True)
    finally:
        provision.stop(base)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app on the test database, migrated, with the demo district and demo users loaded."""
    os.environ["GRIDAPP_INSTANCE"] = str(tmp_path_factory.mktemp("instance"))
    application = create_app({"GRIDAPP_CONFIG": "test", "SQLALCHEMY_DATABASE_URI": database_url})
    with application.app_context():
        from flask_migrate import upgrade

        from gridapp.demo import load_demo

        upgrade()
        load_demo(TEST_PASSWORD, log=lambda m: None)
    return application


@pytest.fixture
def tx(app):
    """An app context whose session runs inside a transaction rolled back after the test."""
    with app.app_context():
        conn = db.engine.connect()
        outer = conn.begin()
        original = db.session
        # Plain SQLAlchemy sessions bound to the connection (Flask-SQLAlchemy's own session class
        # would pick the engine, not this connection): one per app context — the test's and each
        # request's — all inside the same outer transaction.
        db.session = scoped_session(sessionmaker(bind=conn, join_transaction_mode="create_savepoint"),
                                    scopefunc=_app_ctx_id)
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            conn.close()


class RequestScopedClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as in production
    (flask.g — the cached user, the CSRF token — is per request), even while a test holds one."""

    def open(self, *args, **kwargs):
        if _cv_app.get(None) is not None:
            # Close the test's own savepoint first: a request's work nested inside it would be
            # undone by a later rollback of the test's session.
            db.session.commit()
        token = _cv_app.set(None)
        kwargs.setdefault("buffered", True)  # a streamed body (list exports) is read inside its request
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture(autouse=True)
def _fresh_throttles(request):
    """Every test of the app starts with empty login throttles (counters in the process's memory)."""
    if "app" in request.fixturenames:
        from gridapp.extensions import limiter

        limiter.reset()


@pytest.fixture
def client(app, tx):
    """A test client whose requests share the rolled-back transaction of ``tx``."""
    app.test_client_class = RequestScopedClient
    return app.test_client()


@pytest.fixture
def make_user(tx):
    """Factory: ``make_user(role, scope_code=None, grids=())`` → a committed-in-test User."""
    from gridapp.accounts.service import hash_password
    from gridapp.models import GridAssignment, User

    counter = iter(range(1, 10_000))

    def _make(role: str, scope_code: str | None = None, grids=(), password: str = TEST_PASSWORD):
        user = User(username=f"{role}-{next(counter)}", display_name=f"测试{role}", role=role,
                    scope_code=scope_code, password_hash=hash_password(password))
        user.assignments = [GridAssignment(grid_code=g, is_primary=i == 0) for i, g in enumerate(grids)]
        tx.add(user)
        tx.commit()
        return user

    return _make


@pytest.fixture
def bearer(client):
    """``bearer(username)`` → Authorization headers for that user's new API token."""

    def _bearer(username: str, password: str = TEST_PASSWORD) -> dict:
        resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.get_json()
        return {"Authorization": f"Bearer {resp.get_json()['token']}"}

    return _bearer


def csrf_token_of(html: str) -> str:
    """The csrf_token value of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no csrf_token in page"
    return match.group(1)


@pytest.fixture
def csrf_of():
    """``csrf_of(html)`` → the page's CSRF token."""
    return csrf_token_of


@pytest.fixture
def login(client):
    """``login(username)`` logs the test client in through the real form (with CSRF)."""

    def _login(username: str, password: str = TEST_PASSWORD, next_url: str | None = None):
        page = client.get("/login")
        data = {"username": username, "password": password, "csrf_token": csrf_token_of(page.text)}
        return client.post("/login" + (f"?next={next_url}" if next_url else ""), data=data)

    return _login
