"""Demo disputes of 王益区 — **entirely fictitious** (演示数据), so that the dispute map and
figures show something. Deterministic (no randomness): 28 disputes spread over the district's
communities and villages, registered between 2026-07-01 and 2026-11-20 (UTC), in every state,
difficulty, risk level and outcome channel. Parties are invented (张某 …, 测试单位 …); phones
use the prefix 100 and ID numbers the birth year 1900 (as the demo roster): none can belong to
a real person. Every summary ends with "（演示）". Points are points on the surface of real
(derived) areas; grid and community come from the location rule (gridapp.boundaries.locate).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ..disputes.register import register
from ..disputes.workflow import perform
from ..extensions import db
from ..models import (
    AdminArea,
    Dispute,
    Grid,
    MediationCommittee,
    Mediator,
    User,
)

START = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
MARK = "（演示）"
# type, summary, difficulty, risk, escalation risk, amount (yuan), outcome, days to outcome
SPECS = (
    ("02", "楼上楼下噪音扰民引发争执", "simple", "general", False, None, "resolved", 6),
    ("03", "小区物业费收取标准争议", "simple", "general", False, 3600, "resolved", 12),
    ("01", "婚后财产分割与子女抚养争议", "simple", "major", True, 80000, "resolved", 21),
    ("04", "装修工人工资拖欠", "complex", "major", True, 42000, "resolved", 18),
    ("05", "土地承包经营权边界争议", "complex", "general", False, 15000, "failed", 25),
    ("08", "电动车与行人碰撞赔偿争议", "simple", "general", False, 5200, "resolved", 9),
    ("09", "预付卡退费争议", "simple", "general", False, 2980, "resolved", 4),
    ("06", "旧房拆迁补偿标准争议", "hard", "grave", True, 650000, "referred_petition", 27),
    ("07", "诊疗费用与医疗损害赔偿争议", "complex", "major", False, 120000, "referred_court", 22),
    ("02", "宅基地通道通行争议", "simple", "general", False, None, "resolved", 35),
    ("03", "车位占用引发邻里纠纷", "simple", "general", False, None, "resolved", 7),
    ("04", "劳动合同解除经济补偿争议", "complex", "general", False, 26000, "referred_court", 29),
    ("02", "相邻房屋漏水损害赔偿", "simple", "general", False, 4500, "resolved", 14),
    ("01", "赡养老人费用分担争议", "simple", "major", True, None, "resolved", 16),
    ("99", "广场舞场地使用争议", "simple", "general", False, None, "resolved", 3),
    ("08", "停车剐蹭赔偿争议", "simple", "general", False, 1800, "referred_police", 2),
    ("05", "承包地流转租金争议", "complex", "general", False, 9000, "resolved", 20),
    ("03", "电梯加装费用分摊争议", "complex", "major", True, 210000, "mediating", None),
    ("04", "工地伤亡赔偿争议", "hard", "grave", True, 900000, "mediating", None),
    ("02", "养犬扰民与伤人争议", "simple", "general", False, 800, "mediating", None),
    ("09", "家电维修质量争议", "simple", "general", False, 1350, "registered", None),
    ("01", "离婚后探视权争议", "simple", "general", False, None, "registered", None),
    ("06", "征地青苗补偿分配争议", "hard", "major", True, 78000, "mediating", None),
    ("02", "院墙界址争议", "simple", "general", False, None, "failed", 30),
    ("03", "房屋租赁押金退还争议", "simple", "general", False, 3000, "resolved", 11),
    ("07", "药店购药退货争议", "simple", "general", False, 460, "resolved", 5),
    ("04", "外卖骑手工伤认定争议", "complex", "major", False, 33000, "mediating", None),
    ("99", "公共绿地种菜引发争议", "simple", "general", False, None, "registered", None),
)
SURNAMES = "张李王赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
SATISFACTION = (5, 4, 5, 3, 4, 5, 5, 4)
LEADERS = ("演示区级包案领导甲", "演示区级包案领导乙")


def _points(district_code: str, n: int) -> list[tuple[float, float]]:
    """``n`` points on the surface of the district's grids and (every fourth) villages, spread
    by taking every k-th in code order."""
    grids = list(db.session.execute(select(func.ST_X(func.ST_PointOnSurface(Grid.geom)),
                                           func.ST_Y(func.ST_PointOnSurface(Grid.geom)))
                                    .where(Grid.district_code == district_code).order_by(Grid.code)))
    villages = list(db.session.execute(
        select(func.ST_X(func.ST_PointOnSurface(AdminArea.geom)), func.ST_Y(func.ST_PointOnSurface(AdminArea.geom)))
        .where(AdminArea.district_code == district_code, AdminArea.level == "community",
               AdminArea.code.not_in(select(Grid.community_code))).order_by(AdminArea.code)))
    out = []
    for i in range(n):
        pool = villages if villages and i % 4 == 3 else grids
        out.append(tuple(map(float, pool[(i * 7) % len(pool)])))
    return out


def _committees(district_code: str) -> list[Mediator]:
    townships = list(db.session.execute(select(AdminArea.code, AdminArea.name).where(
        AdminArea.district_code == district_code, AdminArea.level == "township").order_by(AdminArea.code)))
    mediators = []
    for n, (code, name) in enumerate(townships, 1):
        committee = MediationCommittee(name=f"{name}人民调解委员会{MARK}", area_code=code, district_code=district_code)
        for k in (1, 2):
            mediators.append(Mediator(name=f"演示调解员{n:02d}{k}", committee=committee))
    db.session.add_all(mediators)
    return mediators


def load_demo_disputes(district_code: str, log: Callable[[str], None] = print) -> int:
    """Create the demo disputes once (skipped when the district has any, or without the demo
    ``district`` login); the caller commits. Returns how many were created."""
    if db.session.scalar(select(func.count()).select_from(Dispute).where(Dispute.district_code == district_code)):
        log("demo disputes already loaded; keeping them")
        return 0
    actor = db.session.scalar(select(User).where(User.username == "district"))
    if actor is None:
        return 0
    mediators = _committees(district_code)
    for i, (spec, (lon, lat)) in enumerate(zip(SPECS, _points(district_code, len(SPECS)), strict=True)):
        _one(i, spec, lon, lat, actor, mediators[i % len(mediators)])
    log(f"demo disputes: {len(SPECS)}")
    return len(SPECS)


def _one(i: int, spec, lon: float, lat: float, actor: User, mediator: Mediator) -> None:
    """Register one demo dispute and take it through its actions (gridapp.disputes), each at its time."""
    type_code, summary, difficulty, risk, escalation, amount, outcome, days = spec
    at = START + timedelta(days=(i * 5) % 142, hours=i % 9)
    s1, s2 = SURNAMES[i % len(SURNAMES)], SURNAMES[(i + 7) % len(SURNAMES)]
    parties = [{"kind": "person", "name": f"{s1}某", "id_number": f"6102021900{(i % 12) + 1:02d}01{i:03d}1",
                "phone": f"100{i:04d}0001"},
               {"kind": "person", "name": f"{s2}某某", "phone": f"100{i:04d}0002"} if i % 3 else
               {"kind": "organisation", "name": f"测试单位{i:02d}号", "phone": f"100{i:04d}0003"}]
    d = register(actor, {"type_code": type_code, "summary": summary + MARK, "lon": lon, "lat": lat,
                         "source": ("screening", "walk_in", "worker", "transferred")[i % 4], "parties": parties,
                         "amount": amount, "risk_level": risk, "escalation_risk": escalation,
                         "difficulty": difficulty, "leader": LEADERS[i % 2] if difficulty == "hard" else None},
                 now=at)
    if outcome == "registered":
        return
    perform(actor, d.id, "accept", now=at + timedelta(days=1))
    held = at + timedelta(days=2)
    perform(actor, d.id, "session", {"held_on": held.date().isoformat(), "minutes": "双方陈述诉求（演示笔录）",
                                     "participants": f"{s1}某、{s2}某某、{mediator.name}",
                                     "mediator_id": mediator.id}, now=held)
    if days is None:
        return
    closed = at + timedelta(days=days)
    if outcome == "resolved":
        perform(actor, d.id, "succeed", {"agreement": "双方自愿达成调解协议（演示）",
                                         "performance": "performed" if i % 2 else "performing"}, now=closed)
        if i % 3 != 2:
            perform(actor, d.id, "visit", {"satisfaction": SATISFACTION[i % 8], "note": "回访（演示）"},
                    now=closed + timedelta(days=7))
    elif outcome == "failed":
        perform(actor, d.id, "fail", {"note": "双方分歧较大（演示）"}, now=closed)
    else:
        channel = outcome.split("_")[1]
        perform(actor, d.id, "refer", {"channel": channel, "court_case_no": f"（2026）陕0202民初{9000 + i}号{MARK}"
                                       if channel == "court" else None}, now=closed)
