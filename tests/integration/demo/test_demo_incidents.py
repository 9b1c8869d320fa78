"""The demo district is alive (issue 20): ``load_demo(..., incidents=True)`` — what ``flask gridapp
load-demo`` runs — adds a fictitious, seeded incident history on a fresh database, made through the
domain actions. (The suite's own database is loaded without it: hundreds of tests count cases.)"""
from __future__ import annotations

from datetime import timedelta

import psycopg
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from gridapp import create_app
from gridapp.core.clock import local_zone, utcnow
from gridapp.demo.incidents import COUNT, DAYS, FRESH, MARK
from gridapp.incidents.rules import STATE_NAMES

PASSWORD = "demo-alive-password-1"
TOTAL = COUNT + FRESH  # the history and the worker's new reports


def test_load_demo_with_incidents_on_a_fresh_database(app, database_url, fresh_database):
    url, server = fresh_database(database_url, f"{make_url(database_url).database}_alive")
    try:
        alive = create_app({"GRIDAPP_CONFIG": "test", "SQLALCHEMY_DATABASE_URI": url})
        with alive.app_context():
            from flask_migrate import upgrade

            from gridapp.analytics.dashboard import summary
            from gridapp.demo import load_demo
            from gridapp.extensions import db
            from gridapp.models import Grid, Incident, IncidentEvent, User

            upgrade()
            start = utcnow()
            # what `make run` calls: flask gridapp load-demo (incidents on by default)
            result = alive.test_cli_runner().invoke(args=["gridapp", "load-demo"],
                                                    env={"GRIDAPP_DEMO_PASSWORD": PASSWORD})
            assert result.exit_code == 0, result.output
            assert f"demo incidents: {TOTAL} (fictitious)" in result.output and COUNT >= 200
            states = dict(db.session.execute(select(Incident.status, func.count()).group_by(Incident.status)).all())
            assert set(states) == set(STATE_NAMES), states  # every state of the closed loop
            assert sum(states.values()) == TOTAL
            # the secretary's first step (README): new reports of the demo worker in their grid
            worker = db.session.scalar(select(User).where(User.username == "worker"))
            fresh = db.session.scalar(select(func.count()).select_from(Incident).where(
                Incident.reporter_id == worker.id, Incident.status == "reported",
                Incident.grid_code == "610202002010001", Incident.reported_at >= start - timedelta(days=2)))
            assert fresh == FRESH
            # inside the demo grids, over the last 90 days, every one marked fictitious
            outside = db.session.scalar(select(func.count()).select_from(Incident).where(
                ~select(Grid.code).where(Grid.code == Incident.grid_code,
                                         func.ST_Covers(Grid.geom, Incident.geom)).exists()))
            assert outside == 0
            first, last = db.session.execute(select(func.min(Incident.reported_at),
                                                    func.max(Incident.reported_at))).one()
            assert start - timedelta(days=DAYS, minutes=1) <= first and last <= start
            assert last - first > timedelta(days=60)
            unmarked = ~Incident.description.endswith(MARK)
            assert not db.session.scalar(select(func.count()).select_from(Incident).where(unmarked))
            assert db.session.scalar(select(func.max(IncidentEvent.at))) <= utcnow()
            # through the domain actions: every case has its history, from the report on
            per_case = db.session.execute(text("SELECT min(n), max(n) FROM (SELECT count(*) n FROM incident_events "
                                               "GROUP BY incident_id) t")).one()
            assert per_case[0] >= 1 and per_case[1] >= 8
            # the district dashboard of the last 90 days shows them
            district = db.session.scalar(select(User).where(User.username == "district"))
            today = start.astimezone(local_zone()).date()
            board = summary(district, date_from=(today - timedelta(days=DAYS)).isoformat(), date_to=today.isoformat())
            # (a duplicate merged into another case is not counted twice)
            assert board["kpi"]["current"]["counts"]["reported"] == TOTAL - states["merged"] >= 200
            # … and its first look (the default period, the last 30 days) too
            assert summary(district)["kpi"]["current"]["counts"]["reported"] >= 200
            # idempotent: a second load keeps them
            assert load_demo(PASSWORD, log=lambda m: None, incidents=True)["incidents"] == 0
            db.engine.dispose()
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
