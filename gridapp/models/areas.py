"""Administrative areas: district 区/县 → township 街道/镇 → community 社区 / village 村.

Codes are NBS 统计用区划代码: 6 digits (district, GB/T 2260), 9 (township), 12 (village level).
"""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class AdminArea(db.Model):
    """One administrative area with its NBS code and boundary (MultiPolygon, SRID 4326).

    ``level``: district | township | community (villages, 村, are at the community level and
    have ``unit_type`` 村委会). ``boundary_source``: surveyed (an official survey), imported (a
    third-party file), derived (computed by the product, approximate — labelled on the map)."""

    __tablename__ = "admin_areas"
    __table_args__ = (
        CheckConstraint("level IN ('district', 'township', 'community')", name="ck_admin_areas_level"),
        CheckConstraint("boundary_source IN ('surveyed', 'imported', 'derived')",
                        name="ck_admin_areas_boundary_source"),
        CheckConstraint(
            "(level = 'district' AND length(code) = 6) OR (level = 'township' AND length(code) = 9)"
            " OR (level = 'community' AND length(code) = 12)", name="ck_admin_areas_code_length"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    official_name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16), index=True)
    unit_type: Mapped[str | None] = mapped_column(String(16))
    ur_code: Mapped[str | None] = mapped_column(String(3))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    boundary_source: Mapped[str] = mapped_column(String(16))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)

    parent: Mapped[AdminArea | None] = relationship(remote_side=[code])

    @property
    def is_village(self) -> bool:
        """True for a 村委会 (village), False for a 居委会 (community) or a higher level."""
        return self.unit_type == "村委会"
