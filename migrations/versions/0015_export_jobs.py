"""Long jobs of every kind (issue 23): the import jobs' table becomes ``long_jobs`` (kind import |
export), so exports of large lists run as jobs with the same progress, cancellation and states;
an index for each user's own jobs.

Revision ID: 0015_export_jobs
Revises: 0014_kpi_rollups
Create Date: 2026-12-05 23:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_export_jobs'
down_revision = '0014_kpi_rollups'
branch_labels = None
depends_on = None

STATES = ("queued", "running", "done", "failed", "cancelled")
KINDS = ("import", "export")


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    op.execute(f"ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq")
    op.execute(f"ALTER INDEX {old}_pkey RENAME TO {new}_pkey")
    op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT {old}_created_by_fkey TO {new}_created_by_fkey")
    op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT ck_{old}_status TO ck_{new}_status")


def upgrade():
    _rename("import_jobs", "long_jobs")
    op.create_check_constraint("ck_long_jobs_kind", "long_jobs", _in("kind", KINDS))
    op.create_index("ix_long_jobs_owner", "long_jobs", ["created_by", "kind", "id"])


def downgrade():
    op.drop_index("ix_long_jobs_owner", table_name="long_jobs")
    op.drop_constraint("ck_long_jobs_kind", "long_jobs", type_="check")
    op.execute("DELETE FROM long_jobs WHERE kind <> 'import'")
    _rename("long_jobs", "import_jobs")
