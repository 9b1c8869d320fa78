"""Demo incidents of 王益区 — **entirely fictitious** (演示数据), so that a first look at the maps,
heat map, KPIs, dashboards and case boards shows a district at work.

:data:`COUNT` incidents reported over the last :data:`DAYS` days (before ``now``), at points inside
the demo grids (more in some grids than in others, as real hot spots are), in every state of the
closed loop (:data:`gridapp.incidents.rules.STATE_NAMES`), each made through the domain actions
(:func:`gridapp.incidents.reports.report_incident`, then
:func:`gridapp.incidents.workflow.perform`, which runs :func:`gridapp.core.casework.perform`), each
action at its own past time. Deterministic: one seeded random generator (:data:`SEED`) — the same
database and ``now`` give the same incidents. Every description ends with "（演示）".

Who acts (all demo accounts): the demo district user reports, accepts, files, dispatches, rejects,
merges, approves and evaluates; the demo handler ``chuzhi`` (department DEMO-SZ) starts and
handles; the secretary of the incident's community verifies and asks for voids and deferrals.
Communities without a demo secretary get one verifier account each (``demo-sec-<code>``, display
name marked 演示, a random password nobody knows: no login).
"""
from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from ..accounts.service import hash_password
from ..core.clock import utcnow
from ..extensions import db
from ..incidents.reports import leaf_categories, report_incident
from ..incidents.rules import OPEN_STATES, STATE_NAMES
from ..incidents.workflow import perform
from ..models import AdminArea, Grid, Incident, User

#: How many demo incidents, over how many days before ``now``, from which seed.
COUNT, DAYS, SEED = 360, 90, 20261205
#: New reports by the demo grid worker in their own grid, within the last 2 days, left 已上报: the
#: first thing their community's secretary (hongqi) finds in 我的待办 (README "First steps").
FRESH = 4
#: Recent weeks hold more reports than early ones (a district taking the system up): a report's age
#: is DAYS × u^RECENCY for a uniform u — with 2.15, 60 % of the closed cases fall in the last 30
#: days, so the dashboard's default period (30 days) shows well over 200 of them.
RECENCY = 2.15
MARK = "（演示）"
#: Share of each final state (weights of the seeded draw; every state appears at least once).
STATE_WEIGHTS = {"closed": 70, "evaluated": 60, "in_progress": 25, "dispatched": 22, "reported": 20,
                 "handled": 15, "filed": 14, "rejected": 14, "merged": 12, "accepted": 10,
                 "voided": 9, "deferred": 9}
#: The actions that lead from nothing to each final state (merge is added after its target exists).
PATHS = {
    "reported": (), "accepted": ("accept",), "rejected": ("accept", "reject"),
    "voided": ("accept", "void"), "filed": ("accept", "file"), "deferred": ("accept", "file", "defer"),
    "dispatched": ("accept", "file", "dispatch"), "in_progress": ("accept", "file", "dispatch", "start"),
    "handled": ("accept", "file", "dispatch", "start", "handle"),
    "closed": ("accept", "file", "dispatch", "start", "handle", "verify"),
    "evaluated": ("accept", "file", "dispatch", "start", "handle", "verify", "evaluate"),
    "merged": ("merge",),
}
#: Hours from one action to the next (the seeded draw picks in these ranges).
STEP_HOURS = {"accept": (0.2, 4), "reject": (1, 12), "void": (1, 24), "file": (0.5, 8), "defer": (4, 48),
              "dispatch": (0.5, 6), "start": (1, 24), "handle": (4, 60), "verify": (2, 30),
              "evaluate": (12, 96), "merge": (0.5, 6)}
#: Invented report texts by category kind (GB/T event classes · social-governance classes).
TEXTS = ("路面出现坑洼，影响通行", "井盖破损存在安全隐患", "路灯不亮", "垃圾堆放未及时清运", "占道经营",
         "违规张贴小广告", "绿化带树木倒伏", "楼道堆放杂物", "噪音扰民", "私搭乱建", "积水未排",
         "共享单车乱停放", "下水道堵塞外溢", "公共设施损坏")


def _verifiers(district_code: str) -> dict[str, User]:
    """The secretary of each gridded community of the district: the demo one where it exists,
    else a new verifier account with an unknown password. Caller commits."""
    communities = list(db.session.execute(select(AdminArea.code, AdminArea.name).where(
        AdminArea.district_code == district_code, AdminArea.level == "community",
        AdminArea.code.in_(select(Grid.community_code))).order_by(AdminArea.code)))
    found = {u.scope_code: u for u in db.session.scalars(select(User).where(
        User.role == "secretary", User.scope_code.in_([c for c, _ in communities]))).all()}
    for code, name in communities:
        if code not in found:
            found[code] = User(username=f"demo-sec-{code}", display_name=f"演示{name}书记（核查）",
                               role="secretary", scope_code=code,
                               password_hash=hash_password(secrets.token_urlsafe(24)))
            db.session.add(found[code])
    return found


def _grid_points(district_code: str, rng: random.Random, n: int) -> list[tuple[str, float, float]]:
    """``n`` (grid_code, lon, lat) points uniformly inside grids drawn with weights 1/rank (a few
    busy grids, a long tail)."""
    grids = [(code, to_shape(geom)) for code, geom in db.session.execute(
        select(Grid.code, Grid.geom).where(Grid.district_code == district_code).order_by(Grid.code))]
    order = rng.sample(range(len(grids)), len(grids))
    weights = [0.0] * len(grids)
    for rank, i in enumerate(order, start=1):
        weights[i] = 1.0 / rank ** 0.7
    out = []
    for code, shape in rng.choices(grids, weights=weights, k=n):
        min_x, min_y, max_x, max_y = shape.bounds
        while True:
            x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
            if shape.contains(Point(x, y)):
                out.append((code, round(x, 6), round(y, 6)))
                break
    return out


def _plan(rng: random.Random, n: int) -> list[str]:
    """Final states of the ``n`` incidents: each state once, the rest drawn by :data:`STATE_WEIGHTS`;
    merges last (their targets must exist)."""
    states = list(STATE_WEIGHTS) + rng.choices(list(STATE_WEIGHTS), weights=list(STATE_WEIGHTS.values()),
                                               k=n - len(STATE_WEIGHTS))
    return sorted(states, key=lambda s: s == "merged")


def load_demo_incidents(district_code: str, log: Callable[[str], None] = print, *,
                        now: datetime | None = None, count: int = COUNT) -> int:
    """Create the demo incidents once (skipped when the district has any incident, or without the
    demo ``district`` and ``chuzhi`` logins). Each report and action is its own transaction
    (the domain's); the verifier accounts are committed first. ``now``: aware UTC end of the
    history (default the clock). Returns how many incidents were created."""
    if db.session.scalar(select(func.count()).select_from(Incident).where(Incident.district_code == district_code)):
        log("the demo district already has incidents; keeping them")
        return 0
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(("district", "chuzhi"))))}
    if len(users) < 2:
        return 0
    now = (now or utcnow()).replace(microsecond=0)
    rng = random.Random(SEED)
    verifiers = _verifiers(district_code)
    db.session.commit()
    categories = [c.code for c in leaf_categories()]
    states = _plan(rng, count)
    points = _grid_points(district_code, rng, count)
    open_cases: list[tuple[int, str, float, float, datetime]] = []
    for state, (grid_code, lon, lat) in zip(states, points, strict=True):
        _one(rng, state, grid_code, lon, lat, categories, users, verifiers, open_cases, now)
    count += _fresh_reports(rng, categories, now)
    log(f"demo incidents: {count} (fictitious) in {len(STATE_NAMES)} states over {DAYS} days")
    return count


def _fresh_reports(rng: random.Random, categories: list[str], now: datetime) -> int:
    """:data:`FRESH` reports by the demo ``worker`` at the inner point of their primary grid (a
    metre apart, each of another category), in the last 2 days, left 已上报. Returns how many."""
    worker = db.session.scalar(select(User).where(User.username == "worker"))
    grid_code = next((a.grid_code for a in worker.assignments if a.is_primary), None) if worker else None
    if grid_code is None:
        return 0
    point = func.ST_PointOnSurface(Grid.geom)
    lon, lat = db.session.execute(select(func.ST_X(point), func.ST_Y(point)).where(Grid.code == grid_code)).one()
    for i, category in enumerate(rng.sample(categories, FRESH)):
        report_incident(worker, category, f"{rng.choice(TEXTS)}{MARK}", lon + i * 1e-5, lat,
                        now=now - timedelta(hours=rng.uniform(1, 48)))
    return FRESH


def _one(rng: random.Random, state: str, grid_code: str, lon: float, lat: float, categories: list[str],
         users: dict[str, User], verifiers: dict[str, User], open_cases: list, now: datetime) -> None:
    """Report one incident and take it to ``state``, each action at its own time before ``now``."""
    district, handler = users["district"], users["chuzhi"]
    steps = PATHS[state]
    hours = [rng.uniform(*STEP_HOURS[a]) for a in steps]
    # open cases are recent (3 weeks); closed ones anywhere in the period, more of them lately
    span = DAYS * 24 * rng.random() ** RECENCY if state not in OPEN_STATES else 21 * 24 * rng.random()
    category = rng.choice(categories)
    if state == "merged":
        target_id, category, t_lon, t_lat, t_at = rng.choice(open_cases)
        lon, lat = round(t_lon + rng.uniform(-0.0002, 0.0002), 6), round(t_lat + rng.uniform(-0.0002, 0.0002), 6)
        at = t_at + timedelta(hours=rng.uniform(1, 24))
        at = min(at, now - timedelta(hours=sum(hours) + 0.1))
    else:
        at = now - timedelta(hours=max(span, sum(hours) + 0.5))
    text = f"{rng.choice(TEXTS)}{MARK}"
    incident = report_incident(district, category, text, lon, lat, now=at)
    secretary = verifiers[incident.community_code]
    for action, h in zip(steps, hours, strict=True):
        at += timedelta(hours=h)
        if action in ("void", "defer"):
            perform(secretary, incident.id, action, {"note": "申请（演示）"}, now=at)
            perform(district, incident.id, "approve", {"approved": True}, now=at + timedelta(minutes=30))
        elif action == "dispatch":
            perform(district, incident.id, "dispatch", {"department_code": "DEMO-SZ", "handler": handler.id}, now=at)
        elif action in ("start", "handle"):
            perform(handler, incident.id, action, {"note": "已到现场处置（演示）"}, now=at)
        elif action == "verify":
            # a rework: verification fails once, the handler works again
            if rng.random() < 0.1 and at + timedelta(hours=100) < now:
                perform(secretary, incident.id, "verify", {"passed": False, "note": "未处置到位（演示）"}, now=at)
                for again in ("start", "handle"):
                    at += timedelta(hours=rng.uniform(*STEP_HOURS[again]))
                    perform(handler, incident.id, again, {"note": "返工（演示）"}, now=at)
            perform(secretary, incident.id, "verify", {"passed": True}, now=at)
        elif action == "evaluate":
            perform(district, incident.id, "evaluate", {"rating": rng.choice((3, 4, 4, 5, 5, 5))}, now=at)
        elif action == "merge":
            perform(district, incident.id, "merge", {"into": target_id}, now=at)
        else:  # accept, file, reject
            perform(district, incident.id, action, {"note": "不属于受理范围（演示）"} if action == "reject" else {},
                    now=at)
    if state in OPEN_STATES and state != "deferred":
        open_cases.append((incident.id, category, lon, lat, incident.reported_at))
