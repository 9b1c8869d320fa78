"""The demo district's fictitious places and campaign (演示数据，纯属虚构): a coal-yard dust
control campaign (煤场扬尘专项整治行动) in 红旗社区 so that the map and the figures show
something. Every name is invented and labelled （演示）; the points are the grids'
``ST_PointOnSurface``. Recorded through the services (so the timeline is the real one), as the
demo users ``hongqi`` (secretary, inspects and requests) and ``district`` (approves).
Idempotent: nothing happens once the campaign exists. Without demo users (production) only the
place types are created."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select

from ..core.clock import local_zone
from ..extensions import db
from ..inspections import notices as rectification
from ..inspections import service as inspections
from ..models import Campaign, Grid, User
from ..places import service as places

CAMPAIGN = "【演示】煤场扬尘专项整治行动（虚构数据）"
COMMUNITY = "610202002010"
# (name, type code, operator, licence, index of the community's grid)
PLACES = (
    ("测试煤场甲（演示）", "meichang", "张某", "DEMO-MC-001", 0),
    ("测试煤场乙（演示）", "meichang", "李某", "DEMO-MC-002", 1),
    ("测试再生资源回收站（演示）", "huishou", "王某", "DEMO-HS-001", 2),
    ("测试煤场丙（演示）", "meichang", "赵某", "DEMO-MC-003", 3),
)


def _at(text: str) -> datetime:
    """A local (Asia/Shanghai) demo time → UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=local_zone()).astimezone(UTC)


def load_demo_places(log: Callable[[str], None] = print) -> dict:
    """Load the default place types and, when the demo users exist, the fictitious campaign with
    its places, inspections and notices (one passed on time, one failed and banned with approval,
    one open). Commits. Returns {types_added, places, inspections}."""

    added = places.ensure_default_types()
    db.session.commit()
    secretary = db.session.scalar(select(User).where(User.username == "hongqi"))
    district = db.session.scalar(select(User).where(User.username == "district"))
    if secretary is None or district is None or db.session.scalar(select(Campaign.id).where(Campaign.name == CAMPAIGN)):
        return {"types_added": added, "places": 0, "inspections": 0}
    log("loading the fictitious coal-yard dust control campaign ...")
    points = db.session.execute(select(func.ST_X(func.ST_PointOnSurface(Grid.geom)),
                                       func.ST_Y(func.ST_PointOnSurface(Grid.geom)))
                                .where(Grid.community_code == COMMUNITY).order_by(Grid.code)).all()
    made = [places.create(secretary, {"name": n, "type": t, "operator": o, "licence_no": lic,
                                      "lon": points[i % len(points)][0], "lat": points[i % len(points)][1],
                                      "risk_level": "high" if t == "huishou" else "medium"},
                          now=_at("2026-10-20T09:00"))
            for n, t, o, lic, i in PLACES]
    campaign = inspections.create_campaign(district, CAMPAIGN, COMMUNITY, "2026-11-01", "2026-12-31",
                                           "演示数据，纯属虚构：煤堆覆盖、洒水降尘、车辆冲洗。")
    base = {"kind": "planned", "campaign_id": campaign.id, "department": "测试单位·综合执法（演示）"}
    first = inspections.record_inspection(secretary, {
        **base, "members": ["张某", "李某", "王某"], "vehicle_trips": 2,
        "visits": [{"place_id": made[0].id, "findings": "煤堆覆盖不到位",
                    "checklist": {"煤堆全覆盖": "fail", "按时洒水降尘": "pass", "出场车辆冲洗": "pass"},
                    "notice": {"requirements": "三日内完成煤堆全覆盖", "deadline": "2026-11-08"}},
                   {"place_id": made[1].id,
                    "checklist": {"煤堆全覆盖": "pass", "按时洒水降尘": "pass", "出场车辆冲洗": "pass"}}]},
        now=_at("2026-11-05T10:00"))
    second = inspections.record_inspection(secretary, {
        **base, "members": ["张某", "赵某"], "vehicle_trips": 1,
        "visits": [{"place_id": made[2].id, "findings": "露天焚烧废旧塑料；经营手续不全",
                    "checklist": {"无露天焚烧": "fail", "货物堆放整齐": "pass", "经营手续齐全": "fail"},
                    "notice": {"requirements": "立即停止露天焚烧，清理现场", "deadline": "2026-11-15"}}]},
        now=_at("2026-11-12T15:00"))
    third = inspections.record_inspection(secretary, {
        **base, "members": ["李某", "孙某"], "vehicle_trips": 1,
        "visits": [{"place_id": made[3].id, "findings": "未按时洒水降尘",
                    "checklist": {"煤堆全覆盖": "pass", "按时洒水降尘": "fail", "出场车辆冲洗": "pass"},
                    "notice": {"requirements": "落实每日洒水降尘并留存记录", "deadline": "2026-12-20"}}]},
        now=_at("2026-11-25T09:30"))
    n1, n2 = (db.session.scalar(select(inspections.RectificationNotice.id)
                                .where(inspections.RectificationNotice.inspection_id == i.id)) for i in (first, second))
    rectification.act(secretary, n1, "reinspect", {"passed": True, "note": "已全覆盖"}, now=_at("2026-11-07T16:00"))
    rectification.act(secretary, n2, "reinspect", {"passed": False, "note": "仍有焚烧痕迹"},
                      now=_at("2026-11-16T10:00"))
    rectification.act(secretary, n2, "escalate", {"measure": "ban", "note": "整改不合格，手续不全"},
                      now=_at("2026-11-16T11:00"))
    rectification.act(district, n2, "approve", {"approved": True, "note": "同意取缔"}, now=_at("2026-11-18T09:00"))
    return {"types_added": added, "places": len(made), "inspections": len([first, second, third])}
