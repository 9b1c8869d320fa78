"""``flask --app wsgi gridapp ...`` commands: demo data and users."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from . import instance_secret
from .accounts.service import check_password_policy, hash_password, issue_token, unlock
from .errors import DomainError
from .extensions import db
from .models import AdminArea, GridAssignment, Role, User

group = AppGroup("gridapp", help="gridapp administration commands.")


def demo_password() -> str:
    """The demo users' password: GRIDAPP_DEMO_PASSWORD, else a random one kept in the
    instance folder (so every ``make run`` prints the same)."""

    return os.environ.get("GRIDAPP_DEMO_PASSWORD") or \
        instance_secret(current_app, "demo_password", lambda: secrets.token_urlsafe(9))


@group.command("load-demo")
@click.option("--incidents/--no-incidents", default=True, show_default=True,
              help="add the fictitious incident history of the last 90 days (with the demo users)")
def load_demo_command(incidents):
    """Load the 王益区 demo district (idempotent); create demo users outside production."""
    from .demo import load_demo

    password = demo_password() if current_app.config["DEMO_USERS"] else None
    counts = load_demo(password, log=lambda m: click.echo(m, err=True), incidents=incidents)
    click.echo(f"demo district: {counts['areas']} areas, {counts['grids']} grids, "
               f"{counts['categories']} incident categories")
    if counts["users"]:
        click.echo(f"demo logins (password for all: {password}): {', '.join(counts['users'])}")
    else:
        click.echo("no demo users in this configuration; create one with: flask --app wsgi gridapp create-user")


@group.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--scope", "scope_code", default=None, help="area code of the role's scope")
@click.option("--grid", "grids", multiple=True, help="grid code (grid workers; repeatable)")
@click.option("--name", "display_name", default=None)
@click.password_option()
def create_user_command(username, role, scope_code, grids, display_name, password):
    """Create a user with a role and a scope (one transaction)."""
    if role in ("district", "township", "secretary"):
        area = db.session.get(AdminArea, scope_code) if scope_code else None
        expected = {"district": "district", "township": "township", "secretary": "community"}[role]
        if area is None or area.level != expected:
            raise click.BadParameter(f"role {role} needs --scope with a {expected} code", param_hint="--scope")
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.BadParameter(f"user {username!r} exists", param_hint="--username")
    try:
        check_password_policy(password, username)
    except DomainError as err:
        raise click.BadParameter(err.message, param_hint="--password") from None
    user = User(username=username, display_name=display_name or username, role=role,
                scope_code=scope_code, password_hash=hash_password(password))
    user.assignments = [GridAssignment(grid_code=g, is_primary=i == 0) for i, g in enumerate(grids)]
    db.session.add(user)
    db.session.flush()
    from .accounts.audit import record

    record(None, "user_create", "user", user.id, username=username, role=role, scope_code=scope_code,
           grids=list(grids), by="cli")
    db.session.commit()
    click.echo(f"created {role} {username}")


@group.command("unlock")
@click.argument("username")
def unlock_command(username):
    """Lift the login lockout of USERNAME (after too many wrong passwords)."""
    try:
        unlock(username)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"unlocked {username}")


@group.command("issue-key")
@click.argument("username")
@click.option("--days", default=365, type=click.IntRange(1, 3650), help="days the key is valid (default 365)")
def issue_key_command(username, days):
    """Issue an API key for a client system (desktop GIS, another platform) reading as USERNAME — it
    sees what that user sees. Send it as a bearer token, or as the password of HTTP Basic (read
    only). Prints the key once; revoke it with DELETE /api/v1/auth/token."""
    user = db.session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise click.BadParameter(f"no active user {username!r}", param_hint="USERNAME")
    key, expires = issue_token(user, days * 24)
    click.echo(f"{key}\t(valid until {expires.isoformat()})")


@group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path):
    """Dump the whole database to PATH (pg_dump custom format)."""
    from .backup import BackupError, backup

    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(path))
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"backup written to {path}")


@group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.confirmation_option(prompt="Replace everything in the database with this backup?")
def restore_command(path):
    """Replace the database's contents with the backup at PATH (one transaction)."""
    from .backup import BackupError, restore

    db.session.remove()
    db.engine.dispose()
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(path))
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"restored {path}")

@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--level", required=True, type=click.Choice(["district", "township", "community", "grid", "incident"]))
@click.option("--parent-code", default=None, help="code of the parent area (township/community/grid imports)")
@click.option("--mode", default="dry_run", type=click.Choice(["dry_run", "commit"]))
@click.option("--repair/--no-repair", default=False, help="make_valid and snap slivers, reporting each fix")
@click.option("--crs", default=None, help="CRS of the file when it declares none, e.g. EPSG:4547")
@click.option("--gcj02/--no-gcj02", default=False, help="the file is in GCJ-02: convert to WGS84")
@click.option("--code-field", default=None)
@click.option("--name-field", default=None)
@click.option("--tolerance-m", default=None, help="sliver width in metres snapped by --repair (default 2)")
@click.option("--category-code", default=None, help="incident category when the table has no category column")
@click.option("--encoding", default=None, help="a Shapefile's text encoding when its .cpg is missing or wrong")
@click.option("--layer", default=None, help="the layer of a GeoPackage or FlatGeobuf file with several")
@click.option("--user", "username", default="admin", help="the admin account the import is made as")
def import_command(path, level, parent_code, mode, repair, crs, gcj02, code_field, name_field, tolerance_m,
                   category_code, encoding, layer, username):
    """Import boundaries (GeoJSON, zipped Shapefile, KML) or incidents (CSV, Excel) from PATH.

    Prints the JSON report; exits 1 when anything is refused (nothing written)."""
    import json
    from pathlib import Path

    from .boundaries import imports
    from .errors import DomainError

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"no user {username!r}", param_hint="--user")
    form = {"level": level, "parent_code": parent_code, "mode": mode, "repair": int(repair), "crs": crs,
            "gcj02": int(gcj02), "code_field": code_field, "name_field": name_field, "tolerance_m": tolerance_m,
            "category_code": category_code, "encoding": encoding, "layer": layer}
    try:
        options = imports.parse_options(form, current_app.config["IMPORT_EXTENT"])
        report = imports.import_file(user, Path(path).read_bytes(), Path(path).name, options)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    if report["refused"]:
        raise SystemExit(1)

@group.command("import-boston")
@click.option("--csv", "csv_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Boston 311 CSV (default: geodata/boston/boston311_2015_fixture_wards3_5_may.csv)")
def import_boston_command(csv_path):
    """Import real Boston 311 cases into the Boston analogue district (built once from the
    wards and precincts) and compare the on-time figure with the file's ontime_status."""
    from pathlib import Path

    from .incidents import boston

    path = Path(csv_path) if csv_path else boston.DATA / "boston311_2015_fixture_wards3_5_may.csv"
    boston.import_cases(path, log=lambda m: click.echo(m, err=True))
    result = boston.compare_on_time(path)
    click.echo(f"on time (closed_at <= deadline) vs ontime_status: {result['agree']} of "
               f"{result['compared']} closed cases with a deadline agree; disagree: {result['disagree'][:20]}")


@group.command("remind")
@click.option("--now", "now_text", default=None, help="ISO 8601 time with offset (tests, catch-up runs); default: now")
def remind_command(now_text):
    """Reminder job by hand (the worker runs it every minute; idempotent): write due-soon /
    overdue notifications and hand undelivered ones to the delivery channels."""
    from datetime import datetime

    from .reminders import service as reminders

    now = datetime.fromisoformat(now_text) if now_text else None
    if now is not None and now.tzinfo is None:
        raise click.BadParameter("--now needs a UTC offset, e.g. 2026-12-01T08:00:00+08:00")
    result = reminders.run(now, current_app.config["REMINDER_CHANNELS"])
    click.echo(f"reminders: {result['written']} written, {result['delivered']} delivered")


@group.command("kpi-facts")
@click.argument("action", type=click.Choice(["rebuild", "compact"]))
def kpi_facts_command(action):
    """The KPI facts (gridapp.analytics.facts): ``rebuild`` recomputes every case's contribution
    and the roll-ups from the cases (after a bulk load with the triggers off, or when communities
    moved to another township); ``compact`` merges the roll-ups' delta rows (the worker does it
    every minute). Figures are the same before and after either."""
    from .analytics import facts

    if action == "rebuild":
        cases, rows = facts.rebuild()
        click.echo(f"KPI facts rebuilt: {cases} cases, {rows} roll-up rows")
    else:
        click.echo(f"KPI roll-ups compacted: {facts.compact()} rows written")


@group.command("worker")
@click.option("--once", is_flag=True, help="Stop when no job is left (default: run until stopped).")
def worker_command(once):
    """The job runner (procrastinate): periodic reminders and deliveries every minute, long
    imports. ``make run`` starts one beside the web server; in production run it as a second
    process (README "Jobs")."""
    from .jobs import runner
    from .settings import delivery_settings

    runner.bind(current_app._get_current_object().app_context, delivery_settings())
    click.echo("gridapp worker: periodic jobs every minute; stop with Ctrl-C", err=True)
    runner.run_worker(current_app.config["SQLALCHEMY_DATABASE_URI"], wait=not once)


def init_app(app: Flask) -> None:
    """Register the ``gridapp`` command group."""
    app.cli.add_command(group)
