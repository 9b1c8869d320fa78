"""The phone (issue 19): idempotency_keys (one row per user and Idempotency-Key); incidents.location_accuracy_m

Revision ID: 0011_idempotency
Revises: 0010_scope_accounts
Create Date: 2026-12-05 20:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_idempotency'
down_revision = '0010_scope_accounts'
branch_labels = None
depends_on = None


def upgrade():
    # issue 19: a retried create request (same user, same key) is answered from here
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    # the reported point's GPS accuracy (metres; null: picked on the map or typed)
    op.add_column("incidents", sa.Column("location_accuracy_m", sa.Float(), nullable=True))


def downgrade():
    op.drop_column("incidents", "location_accuracy_m")
    op.drop_index("ix_idempotency_keys_created_at", "idempotency_keys")
    op.drop_table("idempotency_keys")
