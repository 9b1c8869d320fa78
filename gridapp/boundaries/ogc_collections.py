"""The reference geography and the located records as OGC API – Features collections (OGC 17-069r4,
Part 1: Core, with GeoJSON): districts, townships, communities (villages included) and grids, and
— scoped like every read (:mod:`gridapp.core.scope`) — incidents and places.

Geometry is SRID 4326 with lon/lat axes (CRS84, the Part 1 default) at :data:`PRECISION`
decimals; features are ordered by their id; ``bbox`` selects the features whose geometry
intersects the box; paging by ``limit`` (1–:data:`LIMIT_MAX`, default :data:`LIMIT_DEFAULT`) and
``offset``. The HTTP side (landing page, conformance, links) is :mod:`gridapp.api.ogc`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from geoalchemy2 import functions as gf
from sqlalchemy import func, select

from ..core import params as p
from ..core.casework import find_in_scope
from ..core.errors import NotFound
from ..core.scope import grid_filter
from ..extensions import db
from ..incidents.visibility import visible_filter
from ..models import AdminArea, Grid, Incident, Place, User
from ..places.service import place_filter
from .areas import bounds_of, geojson_column

PRECISION = 7  # decimal places of degrees (≈ 1 cm)
LIMIT_DEFAULT, LIMIT_MAX = 10, 10_000


@dataclass(frozen=True)
class Collection:
    """One collection: its id and title, table, feature id column, properties (name → column) and
    the rows a user may read (an SQL condition from the user)."""

    id: str
    title: object
    model: type
    key: object
    properties: dict
    readable: Callable[[User], object]


def _areas(level: str, title) -> Collection:
    return Collection(f"{level}s" if level != "community" else "communities", title, AdminArea, AdminArea.code,
                      {"code": AdminArea.code, "name": AdminArea.name, "parent_code": AdminArea.parent_code,
                       "unit_type": AdminArea.unit_type, "boundary_source": AdminArea.boundary_source},
                      lambda _user, level=level: AdminArea.level == level)


COLLECTIONS = {c.id: c for c in (
    _areas("district", _l("区县")), _areas("township", _l("街道/镇")), _areas("community", _l("社区/村")),
    Collection("grids", _l("网格"), Grid, Grid.code,
               {"code": Grid.code, "name": Grid.name, "community_code": Grid.community_code,
                "households": Grid.households}, grid_filter),
    Collection("incidents", _l("事件"), Incident, Incident.id,
               {"id": Incident.id, "category_code": Incident.category_code, "description": Incident.description,
                "status": Incident.status, "reported_at": Incident.reported_at, "grid_code": Incident.grid_code,
                "community_code": Incident.community_code}, visible_filter),
    Collection("places", _l("场所"), Place, Place.id,
               {"id": Place.id, "name": Place.name, "type_code": Place.type_code, "risk_level": Place.risk_level,
                "status": Place.status, "grid_code": Place.grid_code, "community_code": Place.community_code},
               place_filter),
)}


def get_collection(collection_id) -> Collection:
    """The collection ``collection_id``. Raises NotFound (404) for an unknown one."""
    if collection_id not in COLLECTIONS:
        raise NotFound(_("数据集 %(id)s 不存在", id=repr(collection_id)[:40]), code="collection_not_found",
                       field="collectionId")
    return COLLECTIONS[collection_id]


def extent(user: User, collection: Collection) -> list[float] | None:
    """[min_lon, min_lat, max_lon, max_lat] of the features the user may read, None when none."""
    box = bounds_of(collection.model.geom, collection.readable(user))
    return list(box) if box else None


def _feature(collection: Collection, row) -> dict:
    props = {name: (value.isoformat() if hasattr(value, "isoformat") else value)
             for name, value in zip(collection.properties, row[2:], strict=True)}
    return {"type": "Feature", "id": row[0], "geometry": row[1], "properties": props}


def _select(collection: Collection, user: User):
    return select(collection.key, geojson_column(collection.model.geom, PRECISION),
                  *collection.properties.values()).where(collection.readable(user))


def items(user: User, collection: Collection, args) -> tuple[list[dict], int, int, int]:
    """The features of a page: (features, numberMatched, limit, offset). ``args``: ``bbox``
    (min_lon,min_lat,max_lon,max_lat, CRS84), ``limit`` (1–:data:`LIMIT_MAX`), ``offset`` (≥ 0).
    Raises BadInput (400) naming the parameter for a malformed or out-of-range value."""
    limit = p.integer(args["limit"], "limit", 1, LIMIT_MAX) if args.get("limit") else LIMIT_DEFAULT
    offset = p.integer(args["offset"], "offset", 0, p.INT_MAX) if args.get("offset") else 0
    query = _select(collection, user)
    if args.get("bbox"):
        box = p.bbox(args["bbox"])
        query = query.where(gf.ST_Intersects(collection.model.geom, func.ST_MakeEnvelope(*box, 4326)))
    matched = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(collection.key).limit(limit).offset(offset)).all()
    return [_feature(collection, r) for r in rows], matched, limit, offset


def item(user: User, collection: Collection, feature_id) -> dict:
    """One feature the user may read. Raises NotFound (404) for an absent one and one outside the
    user's scope alike (:func:`gridapp.core.casework.find_in_scope`)."""
    found = find_in_scope(collection.model, collection.readable(user), feature_id, "feature_not_found",
                          lambda i: _("要素 %(id)s 不存在", id=i), field="featureId", key=collection.key)
    row = db.session.execute(_select(collection, user).where(collection.key == getattr(found, collection.key.key))
                             ).one()
    return _feature(collection, row)
