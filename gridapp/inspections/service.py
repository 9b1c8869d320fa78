"""Inspections (检查) and campaigns (专项整治行动); an inspection's findings issue rectification notices.

One transaction per action; each visit is an entry of the place's append-only timeline
(:class:`~gridapp.models.PlaceEvent`); photos are ``photo:<sha256>`` attachments
(:func:`gridapp.incidents.attachments.check_attachments`). A notice issued here then runs through
the casework core (:mod:`gridapp.inspections.notices`); its table, deadline rule and numbering are
in :mod:`gridapp.inspections.rules`. Who may record an inspection: any role with the places in its
scope (:mod:`gridapp.core.scope`); campaigns: office roles, in an area of their scope.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..core import params as p
from ..core.casework import Announcement, find_in_scope
from ..core.clock import local_day_end, local_zone, utcnow
from ..core.errors import BadInput, Conflict, Forbidden, NotFound
from ..core.roles import OFFICE
from ..core.scope import find_area, overlap_condition
from ..extensions import db
from ..incidents.attachments import check_attachments
from ..models import AdminArea, Campaign, Inspection, InspectionPlace, Place, PlaceEvent, RectificationNotice, User
from ..places import service as places_service
from .notices import NOTICE
from .rules import (
    CHECK_ANSWERS,
    ISSUE_NOTIFY,
    KINDS,
    LEGACY_ANSWERS,
    MEMBERS_MAX,
    NUMBER_FORMAT,
    NUMBER_PREFIX,
    TEXT_MAX,
)


def _text(value, field: str, required: bool = False) -> str | None:
    return p.text(value, field, TEXT_MAX, required=required)


def deadline_of(day: date) -> datetime:
    """The UTC instant a notice due on local date ``day`` becomes overdue after: 23:59:59 of that
    day in the local zone."""
    return local_day_end(day)


# --- campaigns -------------------------------------------------------------------------------

def create_campaign(user: User, name, area_code, starts_on, ends_on, description=None) -> Campaign:
    """Create a campaign (专项整治行动) over local dates [starts_on, ends_on] in an area (a
    district, township or community the user's scope covers; office roles only).
    Raises Forbidden (403: not an office role), NotFound (404 ``area_not_found``: unknown or
    outside the scope alike), BadInput (400)."""
    if user.role not in OFFICE:
        raise Forbidden(_("只有社区、街道、区级用户可以创建专项整治行动"), code="action_forbidden")
    name = _text(name, "name", True)
    area = find_area(user, area_code, "area_code")
    start, end = p.day(starts_on, "starts_on"), p.day(ends_on, "ends_on")
    if end < start:
        raise BadInput(_("起始日期 (from) 不能晚于截止日期 (to)"), code="invalid_range")
    if db.session.scalar(select(Campaign.id).where(Campaign.name == name)):
        raise BadInput(_("专项整治行动 %(name)s 已存在", name=name), code="invalid_name")
    campaign = Campaign(name=name, area_code=area.code, starts_on=start, ends_on=end,
                        description=_text(description, "description"))
    db.session.add(campaign)
    db.session.commit()
    return campaign


def campaign_filter(user: User):
    """SQL condition on Campaign: the campaigns a user sees — those whose area overlaps their scope
    (:func:`gridapp.core.scope.overlap_condition`: a district's campaign is seen in its
    communities, a community's in its district)."""
    return overlap_condition(user, Campaign.area_code)


def campaign_id_of(user: User, value) -> int | None:
    """The id of the campaign ``value`` names (an id, as int or text) among those the user sees;
    None when empty. Raises NotFound (404, field ``campaign_id``) for an unknown campaign and one
    outside the user's scope alike."""
    if value in (None, ""):
        return None
    return find_in_scope(Campaign, campaign_filter(user), value, "campaign_not_found",
                         lambda i: _("专项整治行动 %(id)s 不存在", id=i), field="campaign_id").id


def campaigns(user: User) -> list[Campaign]:
    """The campaigns the user sees (:func:`campaign_filter`), newest first."""
    return list(db.session.scalars(select(Campaign).where(campaign_filter(user))
                                   .order_by(Campaign.starts_on.desc(), Campaign.id.desc())))


# --- inspections -----------------------------------------------------------------------------

def _members(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace("，", ",").replace("、", ",").split(",")
    if not isinstance(value, list):
        raise BadInput(_("检查人员 (members) 必须是姓名列表"), code="invalid_members")
    names = [str(v).strip() for v in value if str(v).strip()]
    if not names or len(names) > MEMBERS_MAX or any(len(n) > 50 for n in names):
        raise BadInput(_("检查人员 (members) 至少一人，最多 %(max)s 人", max=MEMBERS_MAX), code="invalid_members")
    return names


def _trips(value) -> int:
    if value in (None, ""):
        return 0
    try:
        trips = int(value)
    except (TypeError, ValueError):
        trips = -1
    if isinstance(value, bool) or not 0 <= trips <= 1000:
        raise BadInput(_("车辆台次 (vehicle_trips) 必须是 0 到 1000 的整数"), code="invalid_vehicle_trips")
    return trips


def record_inspection(user: User, data: dict, now: datetime | None = None) -> Inspection:
    """Record one inspection (one transaction) and issue the notices its findings ask for.

    ``data``: kind (planned | ad_hoc, required), campaign_id (optional), department, members (list
    of names or a comma-separated string), vehicle_trips (int ≥ 0), visits: [{place_id, checklist:
    {item: "pass" | "fail" | "na"} — every item of the place type's checklist, nothing else
    (``true``/``false`` still mean pass/fail), findings (text; required exactly when an item
    failed), attachments (["photo:<sha256>"]), notice: {requirements, deadline (local date
    YYYY-MM-DD, not before today)} (optional; needs findings)}]. The answer rules are in
    :mod:`gridapp.inspections.rules`. Every place must be in the caller's scope; with a campaign,
    in its area and on a date of its period. Raises BadInput (400, ``field`` a JSON pointer such
    as ``/visits/0/checklist/煤堆全覆盖``), NotFound (404: place or campaign), Conflict (409:
    notice number taken meanwhile)."""
    try:
        return _record_inspection(user, data, now or utcnow())
    except IntegrityError:  # another notice took the same number meanwhile (unique number)
        db.session.rollback()
        raise Conflict(_("整改通知书编号已被占用，请重试"), code="notice_number_taken") from None
    except Exception:
        db.session.rollback()  # nothing of a refused inspection stays in the session
        raise


def _record_inspection(user: User, data: dict, now: datetime) -> Inspection:
    kind = p.choice(data.get("kind"), "kind", KINDS, _("请选择检查类型 (kind)：planned 或 ad_hoc"))
    campaign_id = campaign_id_of(user, data.get("campaign_id"))
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    if campaign and not campaign.starts_on <= now.astimezone(local_zone()).date() <= campaign.ends_on:
        raise BadInput(_("检查时间不在专项整治行动“%(name)s”的期间内", name=campaign.name), code="outside_campaign")
    visits = data.get("visits")
    if not isinstance(visits, list) or not visits:
        raise BadInput(_("至少检查一个场所 (visits)"), code="invalid_visits")
    inspection = Inspection(kind=kind, campaign_id=campaign_id, inspected_at=now,
                            department=_text(data.get("department"), "department"),
                            members=_members(data.get("members")), vehicle_trips=_trips(data.get("vehicle_trips")),
                            created_by=user.id)
    db.session.add(inspection)
    db.session.flush()
    seen = set()
    issued = []
    for index, visit in enumerate(visits):
        if not isinstance(visit, dict):
            raise BadInput(_("至少检查一个场所 (visits)"), code="invalid_visits", field=f"/visits/{index}")
        place = places_service.get_place(user, visit.get("place_id"), f"/visits/{index}/place_id")
        if place.id in seen:
            raise BadInput(_("场所 %(id)s 重复", id=place.id), code="invalid_visits")
        seen.add(place.id)
        if campaign and not _in_area(place, campaign.area_code):
            raise BadInput(_("场所 %(name)s 不在专项整治行动的区域内", name=place.name), code="outside_campaign")
        findings = _text(visit.get("findings"), "findings")
        checklist = _checklist(place, visit.get("checklist"), findings, f"/visits/{index}")
        attachments = check_attachments(user, visit.get("attachments"))
        db.session.add(InspectionPlace(inspection_id=inspection.id, place_id=place.id, checklist=checklist,
                                       findings=findings, attachments=attachments))
        db.session.add(PlaceEvent(place_id=place.id, inspection_id=inspection.id, actor_id=user.id, at=now,
                                  action="inspected", note=findings, attachments=attachments,
                                  data={"checklist": checklist, "kind": kind, "campaign_id": campaign_id}))
        if visit.get("notice"):
            if not findings:
                raise BadInput(_("发整改通知书须先填写检查发现的问题 (findings)"), code="findings_required",
                               field=f"/visits/{index}/findings")
            issued.append(_issue(user, place, inspection, visit["notice"], now))
    db.session.flush()
    for notice in issued:  # the users answerable for the place are told, in this transaction
        for notify in ISSUE_NOTIFY:
            NOTICE.announce(user, notice, Announcement(notify, "issue", _("新下发"), None), now)
    db.session.commit()
    return inspection


def _checklist(place: Place, answers, findings: str | None, pointer: str) -> dict[str, str]:
    """The visit's answers {item: pass | fail | na}: every item of the place type's checklist
    answered, no other item, and consistent with the findings (rules: :mod:`.rules`)."""
    items = list(place.place_type.checklist or [])
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise BadInput(_("检查表 (checklist) 必须是 {项目: pass | fail | na}"), code="invalid_checklist",
                       field=f"{pointer}/checklist")
    unknown = [item for item in answers if item not in items]
    if unknown:
        raise BadInput(_("“%(item)s”不是场所“%(place)s”的检查项", item=unknown[0], place=place.name),
                       code="invalid_checklist", field=f"{pointer}/checklist/{unknown[0]}")
    result = {}
    for item in items:
        answer = answers.get(item)
        answer = LEGACY_ANSWERS.get(answer, answer) if isinstance(answer, bool) else answer
        if answer not in CHECK_ANSWERS:
            raise BadInput(_("场所“%(place)s”的检查项“%(item)s”未作答：请选择合格、不合格或不适用",
                             place=place.name, item=item), code="checklist_unanswered",
                           field=f"{pointer}/checklist/{item}")
        result[item] = answer
    failed = [item for item, answer in result.items() if answer == "fail"]
    if failed and not findings:
        raise BadInput(_("场所“%(place)s”的检查项“%(item)s”不合格：请填写发现的问题", place=place.name, item=failed[0]),
                       code="findings_required", field=f"{pointer}/findings")
    if items and findings and not failed:
        raise BadInput(_("场所“%(place)s”填写了发现的问题，但检查表没有不合格项：请把相应检查项标为不合格",
                         place=place.name), code="checklist_contradiction", field=f"{pointer}/checklist")
    return result


def _in_area(place: Place, area_code: str) -> bool:
    township = db.session.scalar(select(AdminArea.parent_code).where(AdminArea.code == place.community_code))
    return area_code in (place.community_code, township, place.district_code)


def _next_number(district_code: str, year: int) -> str:
    prefix = NUMBER_PREFIX.format(district=district_code, year=year)
    count = db.session.scalar(select(func.count()).select_from(RectificationNotice)
                              .where(RectificationNotice.number.startswith(prefix)))
    return NUMBER_FORMAT.format(prefix=prefix, seq=count + 1)


def _issue(user: User, place: Place, inspection: Inspection, notice: dict, now: datetime) -> RectificationNotice:
    if not isinstance(notice, dict):
        raise BadInput(_("整改要求 (requirements) 不能为空"), code="invalid_requirements")
    requirements = _text(notice.get("requirements"), "requirements", True)
    day = p.day(notice.get("deadline"), "deadline")
    if day < now.astimezone(local_zone()).date():
        raise BadInput(_("整改期限 (deadline) 不能早于今天"), code="invalid_deadline")
    row = RectificationNotice(number=_next_number(place.district_code, now.astimezone(local_zone()).year),
                              place_id=place.id, inspection_id=inspection.id, requirements=requirements,
                              deadline_at=deadline_of(day), status="issued", issued_by=user.id, issued_at=now)
    row.place = place
    db.session.add(row)
    db.session.flush()
    db.session.add(PlaceEvent(place_id=place.id, notice_id=row.id, inspection_id=inspection.id, actor_id=user.id,
                              at=now, action="notice_issued", note=requirements,
                              data={"number": row.number, "deadline_at": row.deadline_at.isoformat()}))
    return row


def get_inspection(user: User, inspection_id) -> Inspection:
    """The inspection if at least one of its places is in the user's scope; NotFound otherwise."""
    try:
        inspection_id = int(inspection_id)
    except (TypeError, ValueError):
        raise NotFound(_("检查记录不存在"), code="inspection_not_found") from None
    visible = select(InspectionPlace.inspection_id).join(Place, Place.id == InspectionPlace.place_id) \
        .where(places_service.place_filter(user))
    row = db.session.scalar(select(Inspection).where(Inspection.id == inspection_id, Inspection.id.in_(visible)))
    if row is None:
        raise NotFound(_("检查记录 %(id)s 不存在或不在您的管辖范围内", id=inspection_id), code="inspection_not_found")
    return row


def notices_of(inspection: Inspection) -> list[RectificationNotice]:
    """The notices issued from an inspection, by id."""
    return list(db.session.scalars(select(RectificationNotice).where(RectificationNotice.inspection_id == inspection.id)
                                   .order_by(RectificationNotice.id)))
