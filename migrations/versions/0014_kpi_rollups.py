"""KPI roll-ups (issue 23): the daily facts per grid × category × close-hour (0013) held about one
row per case at city scale, so a year's dashboard still read a million rows. They are replaced by

* ``kpi_rollups``: each case's contribution summed per span (a local day ``d`` and its month
  ``m``) × area (its district, township and community: ``level`` + ``area_code``) × category
  (``''`` = all categories, and its own) — a district's year is ≈ 12 month rows and the edge days;
* ``kpi_close_hours``: the closed cases per span × area × whole hours to close (the medians'
  histogram; the exact middle values are then read from ``kpi_case_facts``).

Both are APPEND-ONLY: a change of a case adds its old contribution negated and its new one
(statement-level triggers of 0013, same transaction as the write), so concurrent writers never
wait on a shared row (a district's day row would serialise every report of the district). The
job runner's tick merges each key's rows into one (``kpi_rollups_compact()``); sums are the same
before and after, so readers never depend on it. ``kpi_case_facts`` gains ``township_code``; a
community moved to another township (``admin_areas`` update) refreshes its cases.

Revision ID: 0014_kpi_rollups
Revises: 0013_daily_facts
Create Date: 2026-12-05 23:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_kpi_rollups'
down_revision = '0013_daily_facts'
branch_labels = None
depends_on = None

COUNTS = ("reported", "filed", "handled_filed", "handled_on_time", "closed", "closed_on_time", "handled_ever",
          "reworked", "extended", "close_seconds")
CASE_COLUMNS = ("incident_id", "day", "grid_code", "community_code", "township_code", "district_code",
                "category_code", "close_bucket") + COUNTS
#: the open states of ``ix_incidents_open_deadline`` and the columns the live counts read
OPEN = sa.text("status IN ('filed', 'dispatched', 'in_progress', 'deferred')")
LIVE_COLUMNS = ["district_code", "community_code", "grid_code", "category_code", "reported_at", "filed_at",
                "handled_at"]
ROLLUP_KEY = ("span", "start", "level", "area_code", "category_code")
HOURS_KEY = ("span", "start", "level", "area_code", "close_bucket")

# One case's contribution, from the case and its history (definitions: gridapp.analytics.kpi);
# merged cases contribute nothing. close_bucket: whole hours reported → closed, capped at 8784
# (366 days); -1 when not closed. (0013's, with the community's township.)
CONTRIBUTION = """
SELECT i.id, (i.reported_at AT TIME ZONE kpi_local_zone())::date,
       i.grid_code, i.community_code, c.parent_code, i.district_code, i.category_code,
       CASE WHEN i.closed_at IS NULL THEN -1
            ELSE LEAST(floor(extract(epoch FROM i.closed_at - i.reported_at) / 3600), 8784)::smallint END,
       1, (i.filed_at IS NOT NULL)::int, (i.filed_at IS NOT NULL AND i.handled_at IS NOT NULL)::int,
       coalesce(i.handled_at <= i.deadline_at, false)::int, (i.closed_at IS NOT NULL)::int,
       coalesce(i.closed_at <= i.deadline_at, false)::int, h.handled_ever::int,
       (h.handled_ever AND h.reworked)::int, (i.filed_at IS NOT NULL AND h.extended)::int,
       CASE WHEN i.closed_at IS NOT NULL THEN extract(epoch FROM i.closed_at - i.reported_at) ELSE 0 END
FROM incidents i LEFT JOIN admin_areas c ON c.code = i.community_code CROSS JOIN LATERAL (SELECT
    EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'handle') AS handled_ever,
    EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'verify'
            AND e.to_state = 'dispatched') AS reworked,
    EXISTS (SELECT 1 FROM incident_approvals a WHERE a.incident_id = i.id AND a.action = 'extend'
            AND a.decision = 'approved') AS extended) h
WHERE i.status <> 'merged'
"""

# The roll-up rows of some case facts ``f`` (a relation with the case columns and ``sign``):
# each case counted in its day and its month, for its district, township and community, for all
# categories and for its own.
_AREAS = """CROSS JOIN LATERAL (VALUES ('d', f.day), ('m', date_trunc('month', f.day)::date)) s(span, start)
  CROSS JOIN LATERAL (VALUES ('district', f.district_code), ('township', f.township_code),
                             ('community', f.community_code)) a(level, area_code)"""
_sums = ", ".join(f"sum(f.sign * f.{c})" for c in COUNTS)
ROLLUP_ROWS = f"""
  SELECT s.span, s.start, a.level, a.area_code, k.category_code, f.district_code,
         CASE WHEN a.level = 'district' THEN NULL ELSE f.township_code END, {_sums}
  FROM {{facts}} f {_AREAS}
  CROSS JOIN LATERAL (VALUES (''), (f.category_code)) k(category_code)
  WHERE a.area_code IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6, 7"""
HOURS_ROWS = f"""
  SELECT s.span, s.start, a.level, a.area_code, f.close_bucket, f.district_code,
         sum(f.sign * f.closed), sum(f.sign * f.close_seconds)
  FROM {{facts}} f {_AREAS}
  WHERE a.area_code IS NOT NULL AND f.close_bucket >= 0
  GROUP BY 1, 2, 3, 4, 5, 6"""
_rollup_cols = ", ".join(ROLLUP_KEY + ("district_code", "township_code") + COUNTS)
_hours_cols = ", ".join(HOURS_KEY + ("district_code", "closed", "close_seconds"))


def _add(facts: str) -> str:
    """SQL adding the roll-up and histogram rows of ``facts`` (a relation with ``sign``)."""
    return (f"INSERT INTO kpi_rollups ({_rollup_cols}) {ROLLUP_ROWS.format(facts=facts)};\n"
            f"  INSERT INTO kpi_close_hours ({_hours_cols}) {HOURS_ROWS.format(facts=facts)};")


_nonzero = " OR ".join(f"sum({c}) <> 0" for c in COUNTS)
_hours_nonzero = "sum(closed) <> 0 OR sum(close_seconds) <> 0"


def _compact(table: str, key: tuple, kept: tuple, sums: tuple, nonzero: str) -> str:
    """SQL merging the rows of each key of ``table`` written since the watermark ``mark`` into one
    (columns ``kept`` follow from the key; ``sums`` are summed); adds the rows written to ``merged``."""
    k, group = ", ".join(key), ", ".join(key + kept)
    return f"""
  WITH touched AS (SELECT DISTINCT {k} FROM {table} WHERE id > mark),
  moved AS (DELETE FROM {table} r USING touched t WHERE {" AND ".join(f"r.{c} = t.{c}" for c in key)}
            RETURNING r.*)
  INSERT INTO {table} ({group}, {", ".join(sums)})
    SELECT {group}, {", ".join(f"sum({c})" for c in sums)} FROM moved GROUP BY {group} HAVING {nonzero};
  GET DIAGNOSTICS n = ROW_COUNT;
  merged := merged + n;"""


FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION kpi_facts_refresh(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ids IS NULL OR cardinality(ids) = 0 THEN
    RETURN;
  END IF;
  -- the stored contributions, negated
  {_add("(SELECT -1 AS sign, * FROM kpi_case_facts WHERE incident_id = ANY(ids))")}
  DELETE FROM kpi_case_facts WHERE incident_id = ANY(ids);
  INSERT INTO kpi_case_facts ({", ".join(CASE_COLUMNS)}) {CONTRIBUTION} AND i.id = ANY(ids);
  {_add("(SELECT 1 AS sign, * FROM kpi_case_facts WHERE incident_id = ANY(ids))")}
END $$;

-- New cases (no stored contribution yet): store and add theirs — the create path's share.
CREATE OR REPLACE FUNCTION kpi_facts_add(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO kpi_case_facts ({", ".join(CASE_COLUMNS)}) {CONTRIBUTION} AND i.id = ANY(ids);
  {_add("(SELECT 1 AS sign, * FROM kpi_case_facts WHERE incident_id = ANY(ids))")}
END $$;

-- Every contribution recomputed (gridapp.analytics.facts.rebuild truncates the tables first).
CREATE OR REPLACE FUNCTION kpi_facts_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO kpi_case_facts ({", ".join(CASE_COLUMNS)}) {CONTRIBUTION};
  {_add("(SELECT 1 AS sign, * FROM kpi_case_facts)")}
  UPDATE kpi_compaction SET last_id = (SELECT coalesce(max(id), 0) FROM kpi_rollups),
                            last_hours_id = (SELECT coalesce(max(id), 0) FROM kpi_close_hours);
END $$;

-- A community moved to another township: its cases' contributions follow (the roll-ups key on the
-- township a case's community has).
CREATE OR REPLACE FUNCTION kpi_facts_on_areas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kpi_facts_refresh(ARRAY(SELECT i.id FROM new_areas n JOIN old_areas o ON o.code = n.code
                                  JOIN incidents i ON i.community_code = n.code
                                  WHERE n.parent_code IS DISTINCT FROM o.parent_code));
  RETURN NULL;
END $$;

-- Merge the rows of each key written since the last compaction into one (dropping keys that sum
-- to nothing); one compaction at a time. Returns the rows written. Sums are unchanged.
CREATE OR REPLACE FUNCTION kpi_rollups_compact() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  mark bigint;
  n integer;
  merged integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('kpi_rollups_compact'));
  SELECT last_id INTO mark FROM kpi_compaction;
  {_compact("kpi_rollups", ROLLUP_KEY, ("district_code", "township_code"), COUNTS, _nonzero)}
  SELECT last_hours_id INTO mark FROM kpi_compaction;
  {_compact("kpi_close_hours", HOURS_KEY, ("district_code",), ("closed", "close_seconds"), _hours_nonzero)}
  UPDATE kpi_compaction SET last_id = (SELECT coalesce(max(id), 0) FROM kpi_rollups),
                            last_hours_id = (SELECT coalesce(max(id), 0) FROM kpi_close_hours);
  RETURN merged;
END $$;
"""


def _key_columns(*extra) -> list:
    return [sa.Column("id", sa.BigInteger(), primary_key=True),
            sa.Column("span", sa.String(1), nullable=False), sa.Column("start", sa.Date(), nullable=False),
            sa.Column("level", sa.String(10), nullable=False), sa.Column("area_code", sa.String(), nullable=False),
            *extra, sa.Column("district_code", sa.String(6), nullable=False)]


def upgrade():
    op.execute("DROP TABLE kpi_daily_facts")
    op.add_column("kpi_case_facts", sa.Column("township_code", sa.String(), nullable=True))
    op.create_table("kpi_rollups", *_key_columns(sa.Column("category_code", sa.String(8), nullable=False)),
                    sa.Column("township_code", sa.String(), nullable=True),
                    *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS[:-1]),
                    sa.Column("close_seconds", sa.Numeric(), nullable=False),
                    sa.CheckConstraint("span IN ('d', 'm')", name="ck_kpi_rollups_span"))
    op.create_index("ix_kpi_rollups_area", "kpi_rollups", ["area_code", "category_code", "span", "start"])
    op.create_index("ix_kpi_rollups_district", "kpi_rollups", ["district_code", "level", "category_code", "span", "start"])
    op.create_table("kpi_close_hours", *_key_columns(sa.Column("close_bucket", sa.SmallInteger(), nullable=False)),
                    sa.Column("closed", sa.Integer(), nullable=False),
                    sa.Column("close_seconds", sa.Numeric(), nullable=False),
                    sa.CheckConstraint("span IN ('d', 'm')", name="ck_kpi_close_hours_span"))
    op.create_index("ix_kpi_close_hours_area", "kpi_close_hours", ["area_code", "span", "start"])
    # the exact middle values of a median: the closed cases of one hour bucket (index-only)
    op.create_index("ix_kpi_case_facts_bucket", "kpi_case_facts", ["close_bucket", "day"],
                    postgresql_include=["close_seconds", "district_code", "township_code", "community_code", "grid_code"])
    # the live part (open cases past their deadline now), index-only: replaces 0013's
    op.drop_index("ix_incidents_open_deadline", "incidents")
    op.create_index("ix_incidents_open_deadline", "incidents", ["deadline_at"], postgresql_where=OPEN,
                    postgresql_include=LIVE_COLUMNS)
    op.create_table("kpi_compaction", sa.Column("id", sa.SmallInteger(), primary_key=True),
                    sa.Column("last_id", sa.BigInteger(), nullable=False),
                    sa.Column("last_hours_id", sa.BigInteger(), nullable=False))
    op.execute("INSERT INTO kpi_compaction VALUES (1, 0, 0)")
    op.execute("DROP FUNCTION kpi_facts_rebuild()")  # was LANGUAGE sql
    op.execute(FUNCTIONS)
    # plpgsql plans its statements per call while it judges a custom plan better, and planning the
    # roll-up rows cost more than running them (2–6 ms per new case, 0.4–0.6 ms with a generic plan)
    for function in ("kpi_facts_add(integer[])", "kpi_facts_refresh(integer[])"):
        op.execute(f"ALTER FUNCTION {function} SET plan_cache_mode = force_generic_plan")
    op.execute("CREATE TRIGGER kpi_facts_areas AFTER UPDATE ON admin_areas REFERENCING OLD TABLE AS old_areas "
               "NEW TABLE AS new_areas FOR EACH STATEMENT EXECUTE FUNCTION kpi_facts_on_areas()")
    op.execute("TRUNCATE kpi_case_facts")
    op.execute("SELECT kpi_facts_rebuild()")


def downgrade():
    # back to 0013's state: drop what 0014 made, then 0013's own downgrade and upgrade (its tables,
    # functions and triggers, rebuilt from the cases)
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("m0013", Path(__file__).with_name("0013_daily_facts.py"))
    m0013 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0013)
    op.execute("DROP TRIGGER kpi_facts_areas ON admin_areas")
    op.execute("DROP FUNCTION kpi_facts_on_areas()")
    op.execute("DROP FUNCTION kpi_rollups_compact()")
    op.drop_index("ix_incidents_open_deadline", "incidents")
    op.create_index("ix_incidents_open_deadline", "incidents", ["deadline_at"], postgresql_where=OPEN)
    for table in ("kpi_compaction", "kpi_close_hours", "kpi_rollups"):
        op.drop_table(table)
    op.execute("CREATE TABLE kpi_daily_facts (id integer)")  # dropped again by 0013's downgrade
    m0013.downgrade()
    m0013.upgrade()
