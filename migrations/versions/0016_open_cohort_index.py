"""The live part of the KPIs (open cases of a cohort past their deadline now, issue 23) read by
the cohort's district and report time: ``ix_incidents_open_cohort`` (district_code, reported_at)
replaces ``ix_incidents_open_deadline`` (deadline_at), which read every overdue open case of every
district for any period (55,000 rows at city scale for a 30-day dashboard of 3,700).

Revision ID: 0016_open_cohort_index
Revises: 0015_export_jobs
Create Date: 2026-12-06 02:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_open_cohort_index'
down_revision = '0015_export_jobs'
branch_labels = None
depends_on = None

#: the open states (those with a running deadline) and the columns the live counts read
OPEN = sa.text("status IN ('filed', 'dispatched', 'in_progress', 'deferred')")
LIVE_COLUMNS = ["district_code", "community_code", "grid_code", "category_code", "reported_at", "filed_at",
                "handled_at"]


def upgrade():
    op.drop_index("ix_incidents_open_deadline", "incidents")
    op.create_index("ix_incidents_open_cohort", "incidents", ["district_code", "reported_at"], postgresql_where=OPEN,
                    postgresql_include=["deadline_at"] + [c for c in LIVE_COLUMNS if c not in ("district_code",
                                                                                                "reported_at")])


def downgrade():
    op.drop_index("ix_incidents_open_cohort", "incidents")
    op.create_index("ix_incidents_open_deadline", "incidents", ["deadline_at"], postgresql_where=OPEN,
                    postgresql_include=LIVE_COLUMNS)
