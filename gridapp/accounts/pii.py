"""Personal information (PIPL): masking of phones and ID numbers, and the log of full views.

Rule (domain.md "Disputes": collect the minimum, mask on screens and exports by default, log who
viewed them): every screen, API answer and export shows :func:`mask_phone` / :func:`mask_id_number`
values. Only :data:`FULL_VIEW_ROLES` may ask for a full value (``reveal``), inside their scope;
each full value shown or exported writes one :class:`~gridapp.models.PiiView` row (who, when,
whose, which field, channel) in the same transaction as the read.

| role | full phone / ID number |
|---|---|
| admin | yes (user administration, corrections) |
| secretary | yes, own community (contacts members and workers) |
| district, township, worker | never (figures and masked rosters are enough) |
"""
from __future__ import annotations

import re

from flask_babel import gettext as _

from ..core.errors import Forbidden
from ..extensions import db
from ..models import PiiView, User
from .rules import FULL_VIEW_ROLES, ID_NUMBER_PATTERN, PHONE_PATTERN

ID_NUMBER_RE = re.compile(ID_NUMBER_PATTERN)
PHONE_RE = re.compile(PHONE_PATTERN)


def mask_phone(value: str | None) -> str | None:
    """``13812345678`` → ``138****5678`` (first 3 and last 4 kept; shorter values → all ``*``
    but the last 2)."""
    if not value:
        return value
    if len(value) >= 8:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * max(len(value) - 2, 0) + value[-2:]


def mask_id_number(value: str | None) -> str | None:
    """``61020219800101123X`` → ``610202********123X`` (region code and last 4 kept)."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_name(value: str | None) -> str | None:
    """A natural person's name: ``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***`` (first character kept)."""
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


MASKERS = {"phone": mask_phone, "id_number": mask_id_number, "name": mask_name}


def may_see_full(user: User) -> bool:
    """True for the roles allowed to see full phone and ID numbers (:data:`FULL_VIEW_ROLES`)."""
    return user.role in FULL_VIEW_ROLES


def shown(user: User, entity: str, obj, field: str, reveal: bool, channel: str,
          allowed: bool | None = None) -> str | None:
    """The value of ``obj.<field>`` as the user may see it: masked, or full when ``reveal`` is
    asked by an allowed role — :func:`may_see_full`, unless the domain's own rule decided
    ``allowed`` (a dispute's parties: :func:`gridapp.disputes.rules.may_reveal_parties`) — then
    one PiiView row is added (the caller commits). Raises Forbidden (403) when a role not allowed
    asks to reveal."""
    value = getattr(obj, field)
    if not reveal:
        return MASKERS[field](value)
    if not (may_see_full(user) if allowed is None else allowed):
        raise Forbidden(_("您的角色无权查看完整的个人信息"), code="pii_forbidden")
    if value:
        db.session.add(PiiView(user_id=user.id, entity=entity, entity_id=obj.id, field=field, channel=channel))
    return value


def normalise_id_number(value) -> str | None:
    """Strip and upper-case an ID number; None for empty. Raises ValueError when not 18 chars
    of 17 digits + a digit or X."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().upper()
    if not ID_NUMBER_RE.match(text):
        raise ValueError(_("身份证号应为18位：17位数字加1位数字或X"))
    return text


def normalise_phone(value) -> str | None:
    """Strip a phone number; None for empty. Raises ValueError unless 5–20 digits, + or -."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if not PHONE_RE.match(text):
        raise ValueError(_("电话号码格式不正确"))
    return text
