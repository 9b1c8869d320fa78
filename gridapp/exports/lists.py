"""The lists that can be exported, by the name in their URL (``/<name>/export.<fmt>``; party
members: ``/org/party-members/export.<fmt>``): each a function ``(user, args, reveal)`` →
:class:`gridapp.core.exportfiles.ExportTable` that reads the list's filters from ``args`` (the
page's query arguments, strings) as the list page does, and raises as the list does (BadInput 400
naming the field, Forbidden 403, NotFound 404) before any row is read. A streamed export and an
export job build their table through the same function."""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.errors import NotFound
from ..core.exportfiles import ExportTable
from ..disputes.exports import disputes_table
from ..incidents.exports import cases_table
from ..inspections.exports import inspections_table, notices_table
from ..models import User
from ..org.exports import members_table
from ..places.exports import places_table


def _arg(args: dict, name: str) -> str | None:
    return args.get(name) or None


LISTS: dict[str, Callable[[User, dict, bool], ExportTable]] = {
    "cases": lambda user, args, reveal: cases_table(user, args),
    "disputes": lambda user, args, reveal: disputes_table(user, args, reveal=reveal),
    "places": lambda user, args, reveal: places_table(user, _arg(args, "type"), _arg(args, "status")),
    "notices": lambda user, args, reveal: notices_table(user),
    "inspections": lambda user, args, reveal: inspections_table(
        user, _arg(args, "level"), _arg(args, "code"), _arg(args, "from"), _arg(args, "to"),
        _arg(args, "campaign_id")),
    "party-members": lambda user, args, reveal: members_table(user, _arg(args, "community"), _arg(args, "grid"),
                                                              reveal=reveal),
}
#: The lists' names for people (the export jobs page).
LIST_NAMES = {"cases": _l("案件看板"), "disputes": _l("矛盾纠纷"), "places": _l("场所台账"),
              "notices": _l("整改通知书"), "inspections": _l("检查记录"), "party-members": _l("党员")}


def table_of(name: str, user: User, args: dict, reveal: bool = False) -> ExportTable:
    """The table of the list ``name`` (:data:`LISTS`) for ``user`` and the page's ``args``;
    ``reveal``: personal values in full where the list has them and the role may (else 403).
    NotFound 404 for an unknown list."""
    if name not in LISTS:
        raise NotFound(_("没有名为 %(name)s 的列表", name=name), code="not_found")
    return LISTS[name](user, args, reveal)
