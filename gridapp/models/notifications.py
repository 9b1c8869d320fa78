"""Notifications (消息), their deliveries beyond the app and each user's chosen channels. Times
are UTC (the long jobs: :mod:`gridapp.models.jobs`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..notifications.rules import CHANNELS, DELIVERY_STATES, KINDS
from .users import User


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Notification(db.Model):
    """An in-app notification (消息) for one user about one subject (``subject_type``:
    incident, notice, dispute; ``kind``: :data:`gridapp.notifications.rules.KINDS`).
    ``dedupe_key`` makes every write idempotent (unique per user). ``delivered_at``: when its
    deliveries beyond the app were planned (one :class:`Delivery` per chosen channel)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
        CheckConstraint(_in("kind", KINDS), name="ck_notifications_kind"),
        Index("ix_notifications_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(200))
    dedupe_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class ChannelChoice(db.Model):
    """A channel a user chose for their notifications beyond the app: ``channel`` (email |
    webhook) and its ``address`` (an e-mail address, or an http(s) robot URL)."""

    __tablename__ = "notification_channels"
    __table_args__ = (CheckConstraint(_in("channel", CHANNELS), name="ck_notification_channels_channel"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(200))


class Delivery(db.Model):
    """One notification handed to one destination: ``status`` pending → sent | failed, the
    ``attempts`` made, the last error, and when the next attempt is due (``next_at``). One row per
    notification and channel: nothing is sent twice."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_notification_deliveries_once"),
        CheckConstraint(_in("channel", CHANNELS), name="ck_notification_deliveries_channel"),
        CheckConstraint(_in("status", DELIVERY_STATES), name="ck_notification_deliveries_status"),
        Index("ix_notification_deliveries_due", "status", "next_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    notification: Mapped[Notification] = relationship()
