"""Party organisation in the grid (党建引领网格化), grid workers, ratings and the audit trail.

Three levels (domain.md, shared/seeds district report): community party organisation
(社区党组织, the core) → grid party group (网格党小组, the body) → party members in the grid
(网格党员, the support). Stationed units (驻区单位) send part-time committee members (兼职委员)
to a community's party committee. Grid workers (网格员, 专职/兼职) are people on the roster; one
*may* have a login (``GridWorker.user_id``): the login's scope stays the existing
:class:`~gridapp.models.users.GridAssignment` rows, which the roster service keeps equal to the
worker's grids. Coverage figures are computed by queries (gridapp.coverage.service), never stored.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..org.rules import BUILD_TYPES, MEMBER_KINDS, MEMBER_ROLES, ORG_KINDS, PARTNER_TYPES, WORKER_KINDS
from .users import User


def _in(col: str, values: tuple[str, ...]) -> str:
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


class CommunityPartyOrg(db.Model):
    """The party organisation of one community (社区党组织): one per community."""

    __tablename__ = "community_party_orgs"
    __table_args__ = (CheckConstraint(_in("kind", ORG_KINDS), name="ck_community_party_orgs_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), unique=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    secretary_name: Mapped[str | None] = mapped_column(String(50))


class GridPartyGroup(db.Model):
    """A grid party group (网格党小组) of a community, 单建 (``single``) or 联建 (``joint``).

    It covers one or more grids of its community (:class:`GroupGrid`; the report has 130 groups
    for 261 grids). Dissolving sets ``dissolved_at`` and releases its grids and members."""

    __tablename__ = "grid_party_groups"
    __table_args__ = (CheckConstraint(_in("build_type", BUILD_TYPES), name="ck_grid_party_groups_build_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(100))
    build_type: Mapped[str] = mapped_column(String(8))
    established_on: Mapped[date | None] = mapped_column(Date)
    dissolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    grids: Mapped[list[GroupGrid]] = relationship(back_populates="group", cascade="all, delete-orphan",
                                                  order_by="GroupGrid.grid_code")
    partners: Mapped[list[GroupPartner]] = relationship(back_populates="group", cascade="all, delete-orphan",
                                                        order_by="GroupPartner.id")
    members: Mapped[list[PartyMember]] = relationship(back_populates="group", order_by="PartyMember.id")


class GroupGrid(db.Model):
    """A grid covered by a (live) grid party group; a grid belongs to at most one group."""

    __tablename__ = "group_grids"

    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("grid_party_groups.id", ondelete="CASCADE"), index=True)

    group: Mapped[GridPartyGroup] = relationship(back_populates="grids")


class GroupPartner(db.Model):
    """A partner of a 联建 group: a stationed unit (linked), residential compound, commercial
    building or social organisation."""

    __tablename__ = "group_partners"
    __table_args__ = (CheckConstraint(_in("partner_type", PARTNER_TYPES), name="ck_group_partners_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("grid_party_groups.id", ondelete="CASCADE"), index=True)
    partner_type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    stationed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("stationed_units.id"))

    group: Mapped[GridPartyGroup] = relationship(back_populates="partners")


class PartyMember(db.Model):
    """A party member serving in a grid of a community (网格党员).

    ``kind``: resident | in_service (在职党员: ``home_unit`` and the 双报到 date
    ``reported_on`` are required) | social_org | volunteer. ``role``: leader (党小组长) | member.
    ``group_id``/``grid_code`` are null while the member is not placed. ``phone`` and
    ``id_number`` (身份证号, 18 chars) are personal information: masked by default (gridapp.accounts.pii)."""

    __tablename__ = "party_members"
    __table_args__ = (
        CheckConstraint(_in("kind", MEMBER_KINDS), name="ck_party_members_kind"),
        CheckConstraint(_in("role", MEMBER_ROLES), name="ck_party_members_role"),
        CheckConstraint("kind <> 'in_service' OR (home_unit IS NOT NULL AND reported_on IS NOT NULL)",
                        name="ck_party_members_in_service"),
        CheckConstraint("id_number IS NULL OR id_number ~ '^[0-9]{17}[0-9X]$'", name="ck_party_members_id_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("grid_party_groups.id"), index=True)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(8), default="member")
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18))
    home_unit: Mapped[str | None] = mapped_column(String(100))
    reported_on: Mapped[date | None] = mapped_column(Date)

    group: Mapped[GridPartyGroup | None] = relationship(back_populates="members")


class StationedUnit(db.Model):
    """A stationed unit (驻区单位) in a community: an agency, enterprise or institution."""

    __tablename__ = "stationed_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_type: Mapped[str | None] = mapped_column(String(50))

    seats: Mapped[list[CommitteeSeat]] = relationship(back_populates="unit", cascade="all, delete-orphan")


class CommitteeSeat(db.Model):
    """A part-time committee seat (兼职委员): a leader of a stationed unit sits on the community
    party committee from ``start_on`` until ``end_on`` (null = current)."""

    __tablename__ = "committee_seats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("stationed_units.id", ondelete="CASCADE"), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    person_name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    start_on: Mapped[date | None] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[StationedUnit] = relationship(back_populates="seats")


class GridWorker(db.Model):
    """A grid worker (网格员) on a community's roster: 专职 (``full_time``) or 兼职 (``part_time``).

    ``user_id`` links the person to a login (role worker) when they have one; not every worker
    has. Their grids are :class:`WorkerGrid` rows (one primary)."""

    __tablename__ = "grid_workers"
    __table_args__ = (
        CheckConstraint(_in("kind", WORKER_KINDS), name="ck_grid_workers_kind"),
        CheckConstraint("id_number IS NULL OR id_number ~ '^[0-9]{17}[0-9X]$'", name="ck_grid_workers_id_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)

    grids: Mapped[list[WorkerGrid]] = relationship(back_populates="worker", cascade="all, delete-orphan",
                                                   order_by="WorkerGrid.grid_code")


class WorkerGrid(db.Model):
    """A grid worker's assignment to a grid; exactly one of a worker's grids is primary."""

    __tablename__ = "worker_grids"
    __table_args__ = (
        Index("uq_worker_grids_primary", "worker_id", unique=True, postgresql_where=text("is_primary")),
    )

    worker_id: Mapped[int] = mapped_column(ForeignKey("grid_workers.id", ondelete="CASCADE"), primary_key=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), primary_key=True, index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    worker: Mapped[GridWorker] = relationship(back_populates="grids")


class StarRating(db.Model):
    """A dated star rating (评星晋级, 1–5 stars) of a community organisation or a grid group."""

    __tablename__ = "star_ratings"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5", name="ck_star_ratings_stars"),
        CheckConstraint("(community_org_id IS NULL) <> (group_id IS NULL)", name="ck_star_ratings_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_org_id: Mapped[int | None] = mapped_column(ForeignKey("community_party_orgs.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("grid_party_groups.id"), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    stars: Mapped[int] = mapped_column(SmallInteger)
    rated_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AuditEntry(db.Model):
    """One change to the organisation roster: who (user), when (UTC), what (action, entity,
    id, community and a JSON detail). Written in the same transaction as the change."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    community_code: Mapped[str | None] = mapped_column(String(12), index=True)
    detail: Mapped[dict] = mapped_column(JSONB, default=dict)

    user: Mapped[User | None] = relationship()


class PiiView(db.Model):
    """One view of a full personal value (PIPL): who, when (UTC), whose (entity and id), which field."""

    __tablename__ = "pii_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
