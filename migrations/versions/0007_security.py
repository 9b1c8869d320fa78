"""security audit: audit_entries and pii_views are append-only

Revision ID: 0007_security
Revises: 0006_places
Create Date: 2026-11-29 17:25:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_security'
down_revision = '0006_places'
branch_labels = None
depends_on = None

# Refuses UPDATE and DELETE of audit rows (logins, failures, lockouts, exports, roster changes) and
# of the log of full personal-data views, for every database user of the app; as for
# incident_events, only a transaction that set ``SET LOCAL gridapp.purge_history = 'on'`` may
# delete (tests' clean-up of committed fixtures).
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION gridapp_log_append_only() RETURNS trigger AS $$
BEGIN
  IF coalesce(current_setting('gridapp.purge_history', true), '') = 'on' AND TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END $$ LANGUAGE plpgsql
"""
TABLES = ("audit_entries", "pii_views")


def upgrade():
    op.execute(APPEND_ONLY_FUNCTION)
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION gridapp_log_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION gridapp_log_append_only()")


def downgrade():
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS gridapp_log_append_only()")
