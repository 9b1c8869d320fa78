"""Who may read and change the party organisation of an area, and how its inputs are read.

Authorisation (:func:`require_community`, the one scope rule of :mod:`gridapp.core.scope`):

| role | reads | changes |
|---|---|---|
| admin | everything | everything |
| district | its district | its district |
| township | its communities | its communities |
| secretary | its community | its community |
| worker | — (403) | — (403) |

A refused input raises BadInput (400) ``invalid_field`` / ``missing_field`` with
``details={"field": ...}``; a scope violation Forbidden (403); an unknown id NotFound (404).
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import false, select

from ..accounts import pii
from ..core import params as p
from ..core.casework import find_in_scope
from ..core.errors import BadInput, Forbidden, NotFound
from ..core.roles import ROLE_NAMES
from ..core.scope import area_location, community_condition, contains
from ..extensions import db
from ..models import AdminArea, Grid, User
from .rules import ORG_ROLES


def area_in_scope(user: User, area: AdminArea) -> bool:
    """True when the area (any level) lies inside the user's scope (the one rule,
    :func:`gridapp.core.scope.contains`; grid workers: never, an area is not a grid)."""
    return contains(user, area_location(area))


def require_area(user: User, code: str | None, level: str | None = None) -> AdminArea:
    """The area with this code, checked against the user's scope. NotFound (404) when unknown
    (or not at ``level``); Forbidden (403) outside the scope or for a grid worker."""
    if user.role not in ORG_ROLES:
        raise Forbidden(_("%(role)s无权查看或管理党组织", role=ROLE_NAMES[user.role]), code="outside_scope")
    area = db.session.get(AdminArea, code) if isinstance(code, str) else None
    if area is None or (level and area.level != level):
        raise NotFound(_("没有编码为 %(code)s 的区划", code=code), code="unknown_area")
    if not area_in_scope(user, area):
        raise Forbidden(_("%(code)s 不在您的管辖范围内", code=code), code="outside_scope")
    return area


def require_community(user: User, code: str | None) -> AdminArea:
    """The community (level community) with this code, in the user's scope (see :func:`require_area`)."""
    return require_area(user, code, "community")


def community_filter(user: User, col):
    """SQL condition on a community-code column selecting the communities the user may read
    (:func:`gridapp.core.scope.community_condition`; grid workers: none)."""
    return community_condition(user, col) if user.role in ORG_ROLES else false()


def readable(user: User, model, community_code: str | None = None):
    """SELECT of the rows of ``model`` (with a community_code column) the user may read, optionally
    of one community (which must be in scope: 403 otherwise)."""
    query = select(model).where(community_filter(user, model.community_code))
    if community_code:
        require_community(user, community_code)
        query = query.where(model.community_code == community_code)
    return query


def get_in_scope(user: User, model, obj_id, label: str, field: str | None = None):
    """The row ``obj_id`` of ``model`` whose community the user may read
    (:func:`gridapp.core.casework.find_in_scope`): unknown and outside the scope are the same
    404 (issue 18); grid workers read none (403)."""
    if user.role not in ORG_ROLES:
        raise Forbidden(_("%(role)s无权查看或管理党组织", role=ROLE_NAMES[user.role]), code="outside_scope")
    return find_in_scope(model, community_filter(user, model.community_code), obj_id, "not_found",
                         lambda i: _("没有编号为 %(id)s 的%(what)s", id=i, what=label), field=field)


def commit():
    """Commit the action's transaction (rolled back on any failure)."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


@contextmanager
def field_errors():
    """The org API's form of a refused field (its clients' contract): code ``invalid_field`` with
    ``details.field``, whatever the core parser's own code."""
    try:
        yield
    except BadInput as err:
        if err.code in ("missing_field", "invalid_field"):
            raise
        raise invalid(err.field, err.message) from None


def invalid(field: str, message: str) -> BadInput:
    """BadInput ``invalid_field`` naming ``field``."""
    return BadInput(message, code="invalid_field", field=field, details={"field": field})


def _missing(field: str) -> BadInput:
    return BadInput(_("缺少字段 %(field)s", field=field), code="missing_field", field=field, details={"field": field})


def _absent(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text_field(data: dict, field: str, *, required: bool = True, max_len: int = 100) -> str | None:
    """``data[field]``: a text of at most ``max_len`` characters (None when absent and not required)."""
    value = data.get(field)
    if _absent(value):
        if required:
            raise _missing(field)
        return None
    with field_errors():
        return p.text(value, field, max_len, message=_("字段 %(field)s 应为不超过 %(n)s 个字符的文本",
                                                        field=field, n=max_len))


def choice_field(data: dict, field: str, choices: tuple[str, ...], default: str | None = None) -> str:
    """``data[field]`` (or ``default``): one of ``choices``."""
    with field_errors():
        return p.choice(data.get(field, default), field, choices,
                        _("字段 %(field)s 必须是 %(choices)s 之一", field=field, choices=" | ".join(choices)))


def date_field(data: dict, field: str, *, required: bool = False) -> date | None:
    """``data[field]``: a date YYYY-MM-DD (None when absent and not required)."""
    value = data.get(field)
    if value in (None, ""):
        if required:
            raise _missing(field)
        return None
    if isinstance(value, date):
        return value
    with field_errors():
        return p.day(value, field)


def int_field(data: dict, field: str) -> int:
    """``data[field]``: an integer id."""
    with field_errors():
        return p.integer(data.get(field), field, 0, message=_("字段 %(field)s 应为整数", field=field))


def personal_field(data: dict, field: str) -> str | None:
    """``data[field]``: an ID number or a phone number, normalised (:mod:`gridapp.accounts.pii`)."""
    parse = pii.normalise_id_number if field == "id_number" else pii.normalise_phone
    try:
        return parse(data.get(field))
    except ValueError as err:
        raise invalid(field, str(err)) from None


def grid_codes_field(community: str, codes, field: str = "grid_codes") -> list[str]:
    """Grid codes (a list, or a comma-separated text) of grids of ``community``, without repeats."""
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.replace("，", ",").split(",") if c.strip()]
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise invalid(field, _("字段 %(field)s 应为至少一个网格编码", field=field))
    known = set(db.session.scalars(select(Grid.code).where(Grid.code.in_(codes),
                                                           Grid.community_code == community)))
    missing = [c for c in codes if c not in known]
    if missing:
        raise invalid(field, _("网格 %(codes)s 不属于社区 %(community)s", codes=", ".join(missing),
                               community=community))
    return list(dict.fromkeys(codes))
