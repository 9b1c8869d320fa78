"""Party members (党员) as a file: the members of :func:`gridapp.org.members.list_members` (the
user's readable communities, optionally one community or grid) in
:mod:`gridapp.core.exportfiles` formats. Phones and ID numbers masked; with ``reveal`` (only the
roles of :func:`gridapp.accounts.pii.may_see_full`, else Forbidden 403 before any byte) in full,
each full value logged (PiiView, channel ``export``), committed when the file ends."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..accounts import pii
from ..core.errors import Forbidden
from ..core.exportfiles import ExportRow, ExportTable, streamed
from ..extensions import db
from ..models import User
from .members import members_query
from .rules import MEMBER_KIND_NAMES, MEMBER_ROLE_NAMES

COLUMNS = (("id", _l("编号")), ("name", _l("姓名")), ("kind", _l("党员类型")), ("role", _l("职务")),
           ("phone", _l("电话")), ("id_number", _l("身份证号")), ("community_code", _l("社区")),
           ("grid_code", _l("网格")), ("group_id", _l("党小组编号")), ("home_unit", _l("工作单位")),
           ("reported_on", _l("报到日期")))


def members_table(user: User, community_code: str | None = None, grid_code: str | None = None,
                  reveal: bool = False) -> ExportTable:
    """Every party member the user may read (of the community / grid when given), by id.
    Raises Forbidden (community outside the scope; ``reveal`` by a role that may not)."""
    if reveal and not pii.may_see_full(user):
        raise Forbidden(_("您的角色无权查看完整的个人信息"), code="pii_forbidden")
    query = members_query(user, community_code, grid_code)

    def convert(row) -> ExportRow:
        m = row[0]
        return ExportRow((m.id, m.name, str(MEMBER_KIND_NAMES.get(m.kind, m.kind)),
                          str(MEMBER_ROLE_NAMES.get(m.role, m.role)),
                          pii.shown(user, "member", m, "phone", reveal, "export"),
                          pii.shown(user, "member", m, "id_number", reveal, "export"),
                          m.community_code, m.grid_code, m.group_id, m.home_unit, m.reported_on))

    return ExportTable(_("党员"), [k for k, _h in COLUMNS], [str(h) for _k, h in COLUMNS],
                       streamed(query, convert, db.session), widths={"id_number": 20, "home_unit": 20},
                       on_close=db.session.commit if reveal else None, query=query)
