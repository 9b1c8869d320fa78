"""Idempotency keys of create requests (issue 19): one row per (user, ``Idempotency-Key``),
written in the same transaction as the record the request created."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class IdempotencyKey(db.Model):
    """A create request already answered: its endpoint, the fingerprint (SHA-256 hex) of its body,
    and the answer (HTTP status, JSON body) that a retry with the same key receives again."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(SmallInteger)
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
