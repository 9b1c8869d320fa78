"""Scope and accountability: photo_uploads (who may attach a photo)

Revision ID: 0010_scope_accounts
Revises: 0009_checklist_answers
Create Date: 2026-12-05 18:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_scope_accounts'
down_revision = '0009_checklist_answers'
branch_labels = None
depends_on = None


def upgrade():
    # issue 18: a photo is stored once by content; every user who uploads it owns it
    op.create_table(
        "photo_uploads",
        sa.Column("sha256", sa.String(64), sa.ForeignKey("photos.sha256"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_photo_uploads_user_id", "photo_uploads", ["user_id"])
    op.execute("INSERT INTO photo_uploads (sha256, user_id, uploaded_at) SELECT sha256, uploaded_by, uploaded_at FROM photos")


def downgrade():
    op.drop_index("ix_photo_uploads_user_id", "photo_uploads")
    op.drop_table("photo_uploads")
