"""Notifications at the moment of action (issue 22): new notification kinds, each user's delivery
channels, deliveries with status and retries, import jobs with progress, and the job runner's
tables (procrastinate's schema, from the pinned package).

Revision ID: 0012_notifications
Revises: 0011_idempotency
Create Date: 2026-12-05 20:30:00

"""
from importlib import resources

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_notifications'
down_revision = '0011_idempotency'
branch_labels = None
depends_on = None

KINDS = ("assigned", "due_soon", "overdue", "returned", "approval", "decided", "routed", "escalated")
OLD_KINDS = ("assigned", "due_soon", "overdue", "returned", "approval")


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


ROLES = ("admin", "district", "township", "secretary", "worker", "handler")


def upgrade():
    # the handler role (承办人; load-demo makes the demo's handler one)
    op.drop_constraint("ck_users_role", "users", type_="check")
    op.create_check_constraint("ck_users_role", "users", _in("role", ROLES))
    op.drop_constraint("ck_notifications_kind", "notifications", type_="check")
    op.create_check_constraint("ck_notifications_kind", "notifications", _in("kind", KINDS))
    op.create_table(
        "notification_channels",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.CheckConstraint(_in("channel", ("email", "webhook")), name="ck_notification_channels_channel"),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("notification_id", sa.Integer(), sa.ForeignKey("notifications.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("notification_id", "channel", name="uq_notification_deliveries_once"),
        sa.CheckConstraint(_in("channel", ("email", "webhook")), name="ck_notification_deliveries_channel"),
        sa.CheckConstraint(_in("status", ("pending", "sent", "failed")), name="ck_notification_deliveries_status"),
    )
    op.create_index("ix_notification_deliveries_due", "notification_deliveries", ["status", "next_at"])
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("path", sa.String(400)),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("total", sa.Integer()),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(_in("status", ("queued", "running", "done", "failed", "cancelled")),
                           name="ck_import_jobs_status"),
    )
    # the job runner (procrastinate, pinned in pyproject.toml): its tables, types and functions
    schema = resources.files("procrastinate").joinpath("sql/schema.sql").read_text(encoding="utf-8")
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:  # no parameters: '%' is literal
        cursor.execute(schema)


def downgrade():
    bind = op.get_bind()
    for (name,) in bind.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                        "AND tablename LIKE 'procrastinate%'").all():
        bind.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    for (signature,) in bind.exec_driver_sql(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'").all():
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    for (name,) in bind.exec_driver_sql("SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                                        "WHERE n.nspname = current_schema() AND typname LIKE 'procrastinate%' "
                                        "AND typtype IN ('e', 'c')").all():
        bind.exec_driver_sql(f'DROP TYPE IF EXISTS "{name}" CASCADE')
    op.drop_table("import_jobs")
    op.drop_index("ix_notification_deliveries_due", table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_table("notification_channels")
    op.execute("DELETE FROM notifications WHERE NOT (" + _in("kind", OLD_KINDS) + ")")
    op.drop_constraint("ck_notifications_kind", "notifications", type_="check")
    op.create_check_constraint("ck_notifications_kind", "notifications", _in("kind", OLD_KINDS))
    op.execute("UPDATE users SET role = 'worker' WHERE role = 'handler'")
    op.drop_constraint("ck_users_role", "users", type_="check")
    op.create_check_constraint("ck_users_role", "users", _in("role", ROLES[:-1]))
