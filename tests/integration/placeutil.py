"""Test data of the places, inspections and reminders tests (fictitious; 翠溪社区 of the demo district)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from caseutil import grid_point
from sqlalchemy import select

from gridapp.extensions import db
from gridapp.inspections import service as inspections
from gridapp.models import GridAssignment, Place, RectificationNotice, User
from gridapp.places import service as places

# 翠溪社区 (same township as the demo's 红旗社区, which holds the fictitious demo campaign)
COMMUNITY = "610202002001"
G1, G2, G3 = "610202002001001", "610202002001002", "610202002001003"
OTHER_COMMUNITY = "610202002010"
TOWNSHIP, DISTRICT = "610202002", "610202"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 on 2 March 2026 in Asia/Shanghai
H = timedelta(hours=1)


def place_user(tx, name, role, scope=None, grids=()):
    user = User(username=f"p-{name}", display_name=name, role=role, scope_code=scope, password_hash="!")
    user.assignments = [GridAssignment(grid_code=g) for g in grids]
    tx.add(user)
    return user


def place_cast(tx) -> dict:
    """The users of these tests: two grid workers, two secretaries, a township and a district user."""
    users = {"worker": place_user(tx, "worker", "worker", grids=[G1]),
             "worker2": place_user(tx, "worker2", "worker", grids=[G2]),
             "sec": place_user(tx, "sec", "secretary", COMMUNITY),
             "othersec": place_user(tx, "othersec", "secretary", OTHER_COMMUNITY),
             "town": place_user(tx, "town", "township", TOWNSHIP),
             "district": place_user(tx, "district", "district", DISTRICT)}
    tx.commit()
    return users


def make_place(user, grid, name, type_="meichang"):
    lon, lat = grid_point(grid)
    return places.create(user, {"name": name, "type": type_, "lon": lon, "lat": lat}, now=T0 - 24 * H)


def answered(visit: dict) -> dict:
    """The visit with its checklist answered as an inspector consistent with its findings would:
    every item of the place type passes, except the first, which fails when there are findings.
    A visit that carries its own checklist is left as it is."""
    if "checklist" in visit or not isinstance(visit.get("place_id"), int):
        return visit
    place = db.session.get(Place, visit["place_id"])
    items = place.place_type.checklist if place else []
    checklist = {item: "fail" if visit.get("findings") and i == 0 else "pass" for i, item in enumerate(items)}
    return {**visit, "checklist": checklist}


def inspect(user, visits, at, members=("张某", "李某"), trips=1, campaign=None):
    """Record an inspection of ``visits`` (checklists answered by :func:`answered`) at ``at``."""
    return inspections.record_inspection(user, {"kind": "planned", "members": list(members), "vehicle_trips": trips,
                                                "department": "测试单位", "campaign_id": campaign,
                                                "visits": [answered(v) for v in visits]}, now=at)


def visit(place, findings, deadline):
    """A visit with a finding and a notice due on a local date."""
    return {"place_id": place.id, "findings": findings, "notice": {"requirements": "限期整改", "deadline": deadline}}


def notice_of(tx, inspection, place):
    return tx.scalar(select(RectificationNotice).where(RectificationNotice.inspection_id == inspection.id,
                                                       RectificationNotice.place_id == place.id))


@pytest.fixture(name="cast")
def cast_fixture(tx) -> dict:
    """Fixture ``cast``: :func:`place_cast`, committed."""
    return place_cast(tx)
