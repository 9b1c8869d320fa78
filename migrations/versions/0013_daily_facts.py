"""Daily KPI facts (issue 23): kpi_case_facts (each case's current contribution) and
kpi_daily_facts (their sums per local report day × grid × category × close-time bucket), kept
by triggers in the same transaction as every write to incidents, their history and approvals.

Revision ID: 0013_daily_facts
Revises: 0010_scope_accounts
Create Date: 2026-12-05 20:40:00

"""
import os

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_daily_facts'
down_revision = '0010_scope_accounts'
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
_sum = ", ".join(f"{c} = f.{c} + excluded.{c}" for c in COUNTS + ("close_seconds",))
_neg = ", ".join(f"-r.{c}" for c in COUNTS + ("close_seconds",))
_pos = ", ".join(f"r.{c}" for c in COUNTS + ("close_seconds",))
_key = ", ".join(f"r.{c}" for c in KEY)

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION kpi_local_zone() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '{ZONE}'::text $$;

-- Bring one case's contribution up to date: subtract the stored one, add the current one.
CREATE OR REPLACE FUNCTION kpi_facts_refresh(p_id integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r kpi_case_facts;
  fresh kpi_case_facts;
BEGIN
  SELECT * INTO fresh FROM ({CONTRIBUTION} AND i.id = p_id) c;
  SELECT * INTO r FROM kpi_case_facts WHERE incident_id = p_id FOR UPDATE;
  IF FOUND AND r IS NOT DISTINCT FROM fresh THEN
    RETURN;
  END IF;
  IF FOUND THEN
    INSERT INTO kpi_daily_facts AS f ({_cols}) VALUES ({_key}, {_neg})
      ON CONFLICT ({", ".join(KEY)}) DO UPDATE SET {_sum};
    DELETE FROM kpi_daily_facts f WHERE f.day = r.day AND f.grid_code IS NOT DISTINCT FROM r.grid_code
      AND f.community_code = r.community_code AND f.district_code = r.district_code
      AND f.category_code = r.category_code AND f.close_bucket = r.close_bucket AND f.reported = 0;
    DELETE FROM kpi_case_facts WHERE incident_id = p_id;
  END IF;
  IF fresh.incident_id IS NOT NULL THEN
    r := fresh;
    INSERT INTO kpi_case_facts VALUES (fresh.*);
    INSERT INTO kpi_daily_facts AS f ({_cols}) VALUES ({_key}, {_pos})
      ON CONFLICT ({", ".join(KEY)}) DO UPDATE SET {_sum};
  END IF;
END $$;

-- Every contribution recomputed (gridapp.analytics.facts.rebuild truncates both tables first).
CREATE OR REPLACE FUNCTION kpi_facts_rebuild() RETURNS void LANGUAGE sql AS $$
  INSERT INTO kpi_case_facts {CONTRIBUTION};
  INSERT INTO kpi_daily_facts ({_cols}) SELECT {", ".join(KEY)}, {", ".join(f"sum({c})" for c in COUNTS + ("close_seconds",))}
    FROM kpi_case_facts GROUP BY {", ".join(KEY)};
$$;

CREATE OR REPLACE FUNCTION kpi_facts_on_incident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM kpi_facts_refresh(OLD.id);
    RETURN OLD;
  END IF;
  PERFORM kpi_facts_refresh(NEW.id);
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION kpi_facts_on_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kpi_facts_refresh(NEW.incident_id);
  RETURN NEW;
END $$;
"""


def upgrade():
    op.create_table(
        "kpi_case_facts",
        # no foreign key: the delete trigger of incidents subtracts the row it finds here
        sa.Column("incident_id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("grid_code", sa.String(), nullable=True),
        sa.Column("community_code", sa.String(), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("category_code", sa.String(8), nullable=False),
        sa.Column("close_bucket", sa.SmallInteger(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
        sa.Column("close_seconds", sa.Numeric(), nullable=False),
    )
    op.create_table(
        "kpi_daily_facts",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("grid_code", sa.String(), nullable=True),
        sa.Column("community_code", sa.String(), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("category_code", sa.String(8), nullable=False),
        sa.Column("close_bucket", sa.SmallInteger(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in COUNTS),
        sa.Column("close_seconds", sa.Numeric(), nullable=False, server_default="0"),
    )
    op.execute(f"CREATE UNIQUE INDEX uq_kpi_daily_facts_key ON kpi_daily_facts ({', '.join(KEY)}) NULLS NOT DISTINCT")
    op.create_index("ix_kpi_daily_facts_district_day", "kpi_daily_facts", ["district_code", "day"])
    op.create_index("ix_kpi_daily_facts_community_day", "kpi_daily_facts", ["community_code", "day"])
    # the live part of the figures (overdue now): open cases past their deadline
    op.execute("CREATE INDEX ix_incidents_open_deadline ON incidents (deadline_at) "
               "WHERE status IN ('filed', 'dispatched', 'in_progress', 'deferred')")
    op.execute(FUNCTIONS)
    op.execute("CREATE TRIGGER kpi_facts AFTER INSERT OR UPDATE OR DELETE ON incidents "
               "FOR EACH ROW EXECUTE FUNCTION kpi_facts_on_incident()")
    op.execute("CREATE TRIGGER kpi_facts AFTER INSERT ON incident_events "
               "FOR EACH ROW WHEN (NEW.action IN ('handle', 'verify')) EXECUTE FUNCTION kpi_facts_on_history()")
    op.execute("CREATE TRIGGER kpi_facts AFTER INSERT OR UPDATE OF decision ON incident_approvals "
               "FOR EACH ROW WHEN (NEW.action = 'extend') EXECUTE FUNCTION kpi_facts_on_history()")
    op.execute("SELECT kpi_facts_rebuild()")


def downgrade():
    for table in ("incident_approvals", "incident_events", "incidents"):
        op.execute(f"DROP TRIGGER IF EXISTS kpi_facts ON {table}")
    for fn in ("kpi_facts_on_history()", "kpi_facts_on_incident()", "kpi_facts_rebuild()", "kpi_facts_refresh(integer)",
               "kpi_local_zone()"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP INDEX IF EXISTS ix_incidents_open_deadline")
    op.drop_table("kpi_daily_facts")
    op.drop_table("kpi_case_facts")
