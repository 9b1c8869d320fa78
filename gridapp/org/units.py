"""Stationed units (驻区单位) with their part-time committee members, and star ratings (评星晋级)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.audit import record as audit
from ..core import params as p
from ..core.clock import local_date, utcnow
from ..extensions import db
from ..models import CommitteeSeat, GridPartyGroup, StarRating, StationedUnit, User
from .access import commit, date_field, field_errors, int_field, require_community, text_field
from .groups import ensure_community_org, live_group
from .rules import STARS


def add_stationed_unit(user: User, data: dict) -> StationedUnit:
    """Add a stationed unit (驻区单位): community_code, name, unit_type; optionally its part-time
    committee member (兼职委员): seat_person, seat_title, seat_start_on. Audited."""
    area = require_community(user, data.get("community_code"))
    unit = StationedUnit(community_code=area.code, district_code=area.district_code, name=text_field(data, "name"),
                         unit_type=text_field(data, "unit_type", required=False, max_len=50))
    person = text_field(data, "seat_person", required=False, max_len=50)
    if person:
        unit.seats = [CommitteeSeat(community_code=area.code, person_name=person,
                                    title=text_field(data, "seat_title", required=False, max_len=50),
                                    start_on=date_field(data, "seat_start_on"))]
    db.session.add(unit)
    db.session.flush()
    audit(user, "create", "stationed_unit", unit.id, area.code, name=unit.name, seat=person)
    commit()
    return unit


def rate(user: User, data: dict) -> StarRating:
    """Record a dated star rating (评星晋级, stars 1–5) of a grid group (group_id) or of the
    community organisation (community_code). rated_on defaults to today (local date). Audited. The target's
    scope is checked before the fields (403 outside it, whatever the body)."""
    if data.get("group_id") not in (None, ""):
        target = live_group(user, int_field(data, "group_id"))
    else:
        target = ensure_community_org(user, data.get("community_code"))
    with field_errors():
        stars = p.integer(data.get("stars"), "stars", STARS[0], STARS[1], _("星级应为 1 到 5"))
    rating = StarRating(stars=stars, rated_on=date_field(data, "rated_on") or local_date(utcnow()),
                        note=text_field(data, "note", required=False, max_len=500), rated_by=user.id)
    if isinstance(target, GridPartyGroup):
        rating.group_id, rating.community_code = target.id, target.community_code
    else:
        rating.community_org_id, rating.community_code = target.id, target.community_code
    db.session.add(rating)
    db.session.flush()
    audit(user, "rate", "group" if rating.group_id else "community_org", rating.group_id or rating.community_org_id,
          rating.community_code, stars=stars, rated_on=rating.rated_on.isoformat())
    commit()
    return rating


def latest_stars(group_ids: list[int]) -> dict[int, int]:
    """The latest star rating of each group (by rated_on, then id)."""
    rows = db.session.execute(select(StarRating.group_id, StarRating.stars).where(StarRating.group_id.in_(group_ids))
                              .order_by(StarRating.group_id, StarRating.rated_on, StarRating.id))
    return {r.group_id: r.stars for r in rows}
