"""The place registry (场所台账) as a file: every place of :func:`gridapp.places.service.search`
for the same filters and scope (:mod:`gridapp.core.exportfiles`), with its point. The registry
page shows operators and licence numbers in full (business records): so does the file."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..core.exportfiles import ExportRow, ExportTable, streamed
from ..extensions import db
from ..models import Place, PlaceType, User
from .rules import RISK_NAMES, STATUS_NAMES
from .service import SEARCH_ORDER, search_conditions

COLUMNS = (("id", _l("编号")), ("name", _l("名称")), ("type", _l("类型")), ("operator", _l("经营者")),
           ("licence_no", _l("许可证号")), ("grid_code", _l("网格")), ("community_code", _l("社区")),
           ("risk_level", _l("风险等级")), ("status", _l("状态")))


def places_table(user: User, type_code: str | None = None, status: str | None = None) -> ExportTable:
    """Every place of the registry for the filters (``type``, ``status``) by name. Raises
    BadInput ``invalid_status``."""
    query = (select(Place.id, Place.name, PlaceType.name.label("type_name"), Place.operator, Place.licence_no,
                    Place.grid_code, Place.community_code, Place.risk_level, Place.status,
                    func.ST_AsGeoJSON(Place.geom, 6))
             .join(PlaceType, PlaceType.code == Place.type_code)
             .where(*search_conditions(user, type_code, status)).order_by(*SEARCH_ORDER))

    def convert(r) -> ExportRow:
        return ExportRow((r.id, r.name, r.type_name, r.operator, r.licence_no, r.grid_code, r.community_code,
                          str(RISK_NAMES[r.risk_level]), str(STATUS_NAMES[r.status])), r[-1])

    return ExportTable(_("场所台账"), [k for k, _h in COLUMNS], [str(h) for _k, h in COLUMNS],
                       streamed(query, convert, db.session), widths={"name": 24}, query=query)
