"""Daily KPI facts (issue 23): kpi_case_facts (each case's current contribution) and
kpi_daily_facts (their sums per local report day × grid × category × close-time bucket), kept
by statement-level triggers in the same transaction as every write to incidents, their history
and approvals.

Revision ID: 0013_daily_facts
Revises: 0012_notifications
Create Date: 2026-12-05 20:40:00

"""
import os

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_daily_facts'
down_revision = '0012_notifications'
branch_labels = None
depends_on = None

#: the local zone of the report day (config.py GRIDAPP_TIMEZONE; gridapp.analytics.facts.rebuild
#: re-creates kpi_local_zone() from the running app's zone)
ZONE = os.environ.get("GRIDAPP_TIMEZONE", "Asia/Shanghai")

COUNTS = ("reported", "filed", "handled_filed", "handled_on_time", "closed", "closed_on_time", "handled_ever",
          "reworked", "extended")
KEY = ("day", "grid_code", "community_code", "district_code", "category_code", "close_bucket")

# One case's contribution, from the case and its history (definitions: gridapp.analytics.kpi);
# merged cases contribute nothing. close_bucket: whole hours reported → closed, capped at 8784
# (366 days); -1 when not closed.
CONTRIBUTION = """
SELECT i.id AS incident_id, (i.reported_at AT TIME ZONE kpi_local_zone())::date AS day,
       i.grid_code, i.community_code, i.district_code, i.category_code,
       CASE WHEN i.closed_at IS NULL THEN -1
            ELSE LEAST(floor(extract(epoch FROM i.closed_at - i.reported_at) / 3600), 8784)::smallint END,
       1, (i.filed_at IS NOT NULL)::int, (i.filed_at IS NOT NULL AND i.handled_at IS NOT NULL)::int,
       coalesce(i.handled_at <= i.deadline_at, false)::int, (i.closed_at IS NOT NULL)::int,
       coalesce(i.closed_at <= i.deadline_at, false)::int, h.handled_ever::int,
       (h.handled_ever AND h.reworked)::int, (i.filed_at IS NOT NULL AND h.extended)::int,
       CASE WHEN i.closed_at IS NOT NULL THEN extract(epoch FROM i.closed_at - i.reported_at) ELSE 0 END
FROM incidents i CROSS JOIN LATERAL (SELECT
    EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'handle') AS handled_ever,
    EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'verify'
            AND e.to_state = 'dispatched') AS reworked,
    EXISTS (SELECT 1 FROM incident_approvals a WHERE a.incident_id = i.id AND a.action = 'extend'
            AND a.decision = 'approved') AS extended) h
WHERE i.status <> 'merged'
"""

_cols = ", ".join(KEY + COUNTS + ("close_seconds",))

_all = COUNTS + ("close_seconds",)
_keys = ", ".join(KEY)
_upsert = f"ON CONFLICT ({_keys}) DO UPDATE SET " + ", ".join(f"{c} = f.{c} + excluded.{c}" for c in _all)
_same_key = " AND ".join(f"f.{c} IS NOT DISTINCT FROM c.{c}" if c == "grid_code" else f"f.{c} = c.{c}" for c in KEY)

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION kpi_local_zone() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '{ZONE}'::text $$;

-- Bring the contributions of the cases ``ids`` up to date, set-based: subtract the stored ones
-- (and drop the daily rows left without a case), store the current ones, add them.
CREATE OR REPLACE FUNCTION kpi_facts_refresh(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ids IS NULL OR cardinality(ids) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO kpi_daily_facts AS f ({_cols})
    SELECT {_keys}, {", ".join(f"-sum({c})" for c in _all)} FROM kpi_case_facts
    WHERE incident_id = ANY(ids) GROUP BY {_keys} {_upsert};
  DELETE FROM kpi_daily_facts f USING kpi_case_facts c
    WHERE c.incident_id = ANY(ids) AND {_same_key} AND f.reported = 0;
  DELETE FROM kpi_case_facts WHERE incident_id = ANY(ids);
  INSERT INTO kpi_case_facts {CONTRIBUTION} AND i.id = ANY(ids);
  INSERT INTO kpi_daily_facts AS f ({_cols})
    SELECT {_keys}, {", ".join(f"sum({c})" for c in _all)} FROM kpi_case_facts
    WHERE incident_id = ANY(ids) GROUP BY {_keys} {_upsert};
END $$;

-- New cases (no stored contribution yet): store and add theirs — the create path's share.
-- (plpgsql: its statements' plans are cached for the session; an SQL function is planned per call)
CREATE OR REPLACE FUNCTION kpi_facts_add(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO kpi_case_facts {CONTRIBUTION} AND i.id = ANY(ids);
  INSERT INTO kpi_daily_facts AS f ({_cols})
    SELECT {_keys}, {", ".join(f"sum({c})" for c in _all)} FROM kpi_case_facts
    WHERE incident_id = ANY(ids) GROUP BY {_keys} {_upsert};
END $$;

-- Every contribution recomputed (gridapp.analytics.facts.rebuild truncates both tables first).
CREATE OR REPLACE FUNCTION kpi_facts_rebuild() RETURNS void LANGUAGE sql AS $$
  INSERT INTO kpi_case_facts {CONTRIBUTION};
  INSERT INTO kpi_daily_facts ({_cols}) SELECT {_keys}, {", ".join(f"sum({c})" for c in _all)}
    FROM kpi_case_facts GROUP BY {_keys};
$$;

-- Statement-level triggers (one refresh per statement, however many rows: bulk imports stay fast).
CREATE OR REPLACE FUNCTION kpi_facts_on_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM kpi_facts_add(ARRAY(SELECT id FROM changed));
  ELSE
    PERFORM kpi_facts_refresh(ARRAY(SELECT id FROM changed));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION kpi_facts_on_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'incident_events' THEN
    PERFORM kpi_facts_refresh(ARRAY(SELECT DISTINCT incident_id FROM changed WHERE action IN ('handle', 'verify')));
  ELSE
    PERFORM kpi_facts_refresh(ARRAY(SELECT DISTINCT incident_id FROM changed WHERE action = 'extend'));
  END IF;
  RETURN NULL;
END $$;
"""

#: (trigger name, table, event, transition table, function)
TRIGGERS = (("kpi_facts_insert", "incidents", "INSERT", "NEW", "kpi_facts_on_incidents"),
            ("kpi_facts_update", "incidents", "UPDATE", "NEW", "kpi_facts_on_incidents"),
            ("kpi_facts_delete", "incidents", "DELETE", "OLD", "kpi_facts_on_incidents"),
            ("kpi_facts_insert", "incident_events", "INSERT", "NEW", "kpi_facts_on_history"),
            ("kpi_facts_insert", "incident_approvals", "INSERT", "NEW", "kpi_facts_on_history"),
            ("kpi_facts_update", "incident_approvals", "UPDATE", "NEW", "kpi_facts_on_history"))


def _fact_columns() -> list:
    """The columns both tables share: the key and the components."""
    return [sa.Column("day", sa.Date(), nullable=False), sa.Column("grid_code", sa.String(), nullable=True),
            sa.Column("community_code", sa.String(), nullable=False),
            sa.Column("district_code", sa.String(6), nullable=False),
            sa.Column("category_code", sa.String(8), nullable=False),
            sa.Column("close_bucket", sa.SmallInteger(), nullable=False),
            *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
            sa.Column("close_seconds", sa.Numeric(), nullable=False)]


def upgrade():
    # no foreign key to incidents: the delete trigger of incidents subtracts the row it finds here
    op.create_table("kpi_case_facts", sa.Column("incident_id", sa.Integer(), primary_key=True), *_fact_columns())
    op.create_table("kpi_daily_facts", sa.Column("id", sa.BigInteger(), primary_key=True), *_fact_columns())
    op.execute(f"CREATE UNIQUE INDEX uq_kpi_daily_facts_key ON kpi_daily_facts ({', '.join(KEY)}) NULLS NOT DISTINCT")
    op.create_index("ix_kpi_daily_facts_district_day", "kpi_daily_facts", ["district_code", "day"])
    op.create_index("ix_kpi_daily_facts_community_day", "kpi_daily_facts", ["community_code", "day"])
    # the live part of the figures (overdue now): open cases past their deadline
    op.execute("CREATE INDEX ix_incidents_open_deadline ON incidents (deadline_at) "
               "WHERE status IN ('filed', 'dispatched', 'in_progress', 'deferred')")
    op.execute(FUNCTIONS)
    for name, table, event, transition, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition} TABLE AS changed "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    op.execute("SELECT kpi_facts_rebuild()")


def downgrade():
    for name, table, *_rest in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for fn in ("kpi_facts_on_history()", "kpi_facts_on_incidents()", "kpi_facts_rebuild()", "kpi_facts_add(integer[])",
               "kpi_facts_refresh(integer[])", "kpi_local_zone()"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP INDEX IF EXISTS ix_incidents_open_deadline")
    op.drop_table("kpi_daily_facts")
    op.drop_table("kpi_case_facts")
