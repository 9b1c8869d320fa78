"""Grids (网格): the responsibility cells that tile a community."""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .areas import AdminArea


class Grid(db.Model):
    """A grid: 15-digit code = 12-digit community code + 3-digit sequence (DB11/T numbering:
    west→east, then north→south), a name, its community and a MultiPolygon (SRID 4326)."""

    __tablename__ = "grids"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{15}$' AND left(code, 12) = community_code",
                        name="ck_grids_code"),
    )

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    community_code: Mapped[str] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    households: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)

    community: Mapped[AdminArea] = relationship()
