"""Users, their role and scope, grid assignments of grid workers, and API tokens."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Role(enum.StrEnum):
    """Roles. Scope: admin and district — a district; township — a township;
    secretary — a community; worker — the grids assigned to them; handler (承办人) — no area: the
    cases dispatched to them or to their department (issue 22)."""

    ADMIN = "admin"
    DISTRICT = "district"
    TOWNSHIP = "township"
    SECRETARY = "secretary"
    WORKER = "worker"
    HANDLER = "handler"


class User(UserMixin, db.Model):
    """A person who logs in. ``scope_code`` is the area their role covers (see :class:`Role`)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'district', 'township', 'secretary', 'worker', 'handler')",
                        name="ck_users_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    scope_code: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    assignments: Mapped[list[GridAssignment]] = relationship(back_populates="user",
                                                             cascade="all, delete-orphan")

    #: the server-side session this user object was loaded for (set at login and by the loader)
    login_sid: ClassVar[str | None] = None

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def get_id(self) -> str:
        """flask-login identity ``"<user id>:<session id>"``: the session cookie and the
        remember-me cookie are only as good as the server-side :class:`UserSession` row."""
        return f"{self.id}:{self.login_sid}"


class UserSession(db.Model):
    """A login session held on the server; logout or an admin revokes it, which ends both the
    session cookie and the remember-me cookie that carry its id. Only a SHA-256 of the id is stored."""

    __tablename__ = "user_sessions"

    sid_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GridAssignment(db.Model):
    """A grid worker's assignment to a grid; one of a worker's grids may be primary."""

    __tablename__ = "grid_assignments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), primary_key=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="assignments")


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored. Expires and can be revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
