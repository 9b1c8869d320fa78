"""Helpers for the closed-loop tests: cases put directly into a state, and the cast of actors."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from gridapp.extensions import db
from gridapp.models import Grid, Incident

GRID = "610202002010001"           # the demo worker's grid, in 红旗社区
OTHER_GRID = "610202002010002"     # another grid of 红旗社区
COMMUNITY = "610202002010"
OTHER_COMMUNITY = "610202002001"   # 翠溪社区, same township
TOWNSHIP = "610202002"
DISTRICT = "610202"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
#: Parties of a test dispute (fictitious; the ID number has a valid form, the phones are not real).
PERSON = {"kind": "person", "name": "张某某", "id_number": "61020219000101123X", "phone": "10012345678"}
ORG = {"kind": "organisation", "name": "测试单位物业公司", "phone": "10087654321"}

PARAMS = {"reject": {"note": "不属于受理范围"}, "dispatch": {"department_code": "DEMO-SZ"},
          "handle": {"note": "已清理"}, "verify": {"passed": True}, "evaluate": {"rating": 4},
          "return": {"note": "非本部门职责"}, "void": {"note": "重复上报"}, "extend": {"hours": 24, "note": "材料未到"},
          "defer": {"note": "待汛期后处理"}, "approve": {"approved": True}}


def grid_point(grid_code: str = GRID) -> tuple[float, float]:
    """A point inside a grid (lon, lat)."""
    p = db.session.execute(select(func.ST_X(func.ST_PointOnSurface(Grid.geom)),
                                  func.ST_Y(func.ST_PointOnSurface(Grid.geom))).where(Grid.code == grid_code)).one()
    return float(p[0]), float(p[1])


def make_case(reporter, status: str = "reported", *, category: str = "0102", grid: str = GRID,
              reported_at: datetime = T0, **columns) -> Incident:
    """Insert a case directly in ``status`` (no history), located in ``grid``; caller commits."""
    lon, lat = grid_point(grid)
    incident = Incident(category_code=category, description="测试事件（虚构）",
                        geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326),
                        grid_code=grid, community_code=grid[:12], district_code=grid[:6],
                        reporter_id=reporter.id, status=status, reported_at=reported_at)
    if status not in ("reported", "accepted", "rejected"):
        incident.filed_at = reported_at + timedelta(hours=1)
        incident.deadline_at = reported_at + timedelta(hours=73)
    for key, value in columns.items():
        setattr(incident, key, value)
    db.session.add(incident)
    db.session.flush()
    return incident


def jpeg_bytes(size=(64, 48), gps: tuple[float, float] | None = None, fmt: str = "JPEG", color="red") -> bytes:
    """An image made here with Pillow; ``gps`` (lon, lat) written into the EXIF GPS IFD."""
    import io

    from PIL import Image

    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    if gps:
        lon, lat = gps
        def dms(v):
            d = int(abs(v)); m = int((abs(v) - d) * 60); s = (abs(v) - d - m / 60) * 3600  # noqa: E702
            return (float(d), float(m), round(s, 4))
        exif.get_ifd(0x8825).update({1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W",
                                     4: dms(lon)})
    buf = io.BytesIO()
    img.save(buf, fmt, **({"exif": exif} if fmt in ("JPEG", "WEBP") else {}))
    return buf.getvalue()
