"""KPI history facts: partial indexes on incident_events for handle and failed verify

Revision ID: 0008_kpi_indexes
Revises: 0007_security
Create Date: 2026-11-30 00:50:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_kpi_indexes'
down_revision = '0007_security'
branch_labels = None
depends_on = None

# services.kpi looks up, for every case of a cohort, whether its history holds a 处置反馈 (handle)
# and a failed verification (verify → dispatched): these partial indexes answer both by an
# index-only probe instead of reading every event of the case (bench/dashboard.py on the city).
INDEXES = {"ix_incident_events_handle": "action = 'handle'",
           "ix_incident_events_rework": "action = 'verify' AND to_state = 'dispatched'"}


def upgrade():
    for name, where in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON incident_events (incident_id) WHERE {where}")


def downgrade():
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
