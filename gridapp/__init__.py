"""gridapp: grid-based community governance (网格化社会治理平台).

:func:`create_app` only wires: configuration, extensions, blueprints, CLI. No I/O, no migrations.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # flask is imported lazily so that gridapp.provision runs on a bare Python
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def instance_secret(app: Flask, name: str, make=lambda: secrets.token_hex(32)) -> str:
    """Return the secret kept in the instance folder file ``name``, creating it once (mode 600)
    with ``make()``; used for the development SECRET_KEY and the demo password."""
    path = Path(app.instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict | str | None = None) -> Flask:
    """Build the Flask app.

    ``config``: a configuration name (``development``/``production``/``test``) or a dict of
    overrides applied on top of the class chosen by ``GRIDAPP_CONFIG`` (or the dict's
    ``GRIDAPP_CONFIG`` key). Raises RuntimeError when production lacks a real SECRET_KEY or
    finds an active demo user in its database, or any configuration lacks a database URL.
    """
    from flask import Flask

    from config import get_config

    overrides = dict(config) if isinstance(config, dict) else {}
    name = config if isinstance(config, str) else overrides.pop("GRIDAPP_CONFIG", None)
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                instance_path=os.environ.get("GRIDAPP_INSTANCE", str(ROOT / "instance")))
    app.config.from_object(get_config(name))
    app.config.update(overrides)
    _check_config(app)
    from .core import clock

    clock.configure(app.config["LOCAL_TIMEZONE"])
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["LOCAL_TIMEZONE"]
    app.json.ensure_ascii = False  # readable Chinese in JSON (UTF-8)

    from . import api, assets, auth, cli, errors, i18n, models, security, web  # noqa: F401 (models: metadata)
    from .api import ogc, open311
    from .extensions import COMPRESS_MIMETYPES, compress, csrf, db, limiter, login_manager, migrate, ping_when_idle

    db.init_app(app)
    if app.config.get("DB_PING_AFTER_IDLE_S"):
        with app.app_context():
            ping_when_idle(db.engine, app.config["DB_PING_AFTER_IDLE_S"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "zstd", "gzip", "deflate"])  # br: the smallest here
    compress.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    assets.init_app(app)
    web.init_app(app)
    api.init_app(app)
    ogc.init_app(app)
    open311.init_app(app)
    cli.init_app(app)
    if app.config["ENV_NAME"] == "production":
        _refuse_demo_users(app)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    return app


def _refuse_demo_users(app: Flask) -> None:
    """Production must not start while an active demo user (gridapp.demo.DEMO_USERS: same
    username and display name, known password) exists. A database not yet migrated has none."""
    from sqlalchemy import select, text, tuple_

    from .demo import DEMO_USERS
    from .extensions import db
    from .models import User

    with app.app_context():
        try:
            if db.session.scalar(text("SELECT to_regclass('public.users')")) is None:
                return
            demo = [(u[0], u[1]) for u in DEMO_USERS]
            found = list(db.session.scalars(select(User.username).where(
                User.active.is_(True), tuple_(User.username, User.display_name).in_(demo))))
        finally:
            db.session.remove()
    if found:
        raise RuntimeError(f"production refuses to start: demo users present ({', '.join(sorted(found))}); "
                           "deactivate them (UPDATE users SET active = false WHERE username IN (...)) or use a "
                           "database without the demo")


def _check_config(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError("DATABASE_URL is not set: point it at a PostGIS database "
                           "(make run / make test provision a private one)")
    opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # jit=off: for the app's aggregate queries (KPIs per area) PostgreSQL's JIT compilation took
    # longer than the query itself (≈ 1 s of JIT for 0.9 s of execution, bench/dashboard.py).
    # max_parallel_workers_per_gather: see config.DB_PARALLEL_WORKERS
    parallel = int(app.config.get("DB_PARALLEL_WORKERS", 0))
    opts["connect_args"] = {"options": f"-c timezone=UTC -c jit=off -c max_parallel_workers_per_gather={parallel}",
                            **opts.get("connect_args", {})}
    if not app.config.get("DB_PREPARE", True):  # e.g. behind a transaction pooler without prepared statements
        opts["connect_args"]["prepare_threshold"] = None
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts
    if app.config["ENV_NAME"] == "production":
        key = app.config.get("SECRET_KEY") or ""
        if len(key) < 32 or "secret" in key.lower() or "change" in key.lower():
            raise RuntimeError("production needs SECRET_KEY: a random value of at least 32 "
                               "characters (python -c 'import secrets; print(secrets.token_hex(32))')")
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app, "secret_key")
