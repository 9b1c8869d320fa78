"""OGC API – Features, Part 1: Core (OGC 17-069r4) under ``/ogcapi``: the reference geography
(districts, townships, communities, grids) and the scoped incidents and places, for desktop GIS
(QGIS "WFS / OGC API – Features", GDAL's OAPIF driver, ArcGIS) and scripts (OWSLib).

Every resource needs authentication: a bearer token, or HTTP Basic with an API key as password
(read only; :func:`gridapp.auth.bearer_token`) — a 401 asks for Basic. JSON resources are
``application/json``, features ``application/geo+json``; links are absolute. The collections,
their rows and paging: :mod:`gridapp.boundaries.ogc_collections`.
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request, url_for
from flask_babel import gettext as _

from ..auth import api_user
from ..boundaries import ogc_collections as oc
from ..extensions import csrf
from . import ogc_openapi

bp = Blueprint("ogc", __name__, url_prefix="/ogcapi")
#: the classes implemented (OGC 17-069r4): Core, GeoJSON, OpenAPI 3.0 (the document at /ogcapi/api)
CONFORMANCE = ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON, GEOJSON = "application/json", "application/geo+json"


def _link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _geojson(body: dict):
    response = jsonify(body)
    response.mimetype = GEOJSON
    return response


@bp.get("/")
def landing():
    """Landing page: title and links to the API definition, conformance and the collections."""
    api_user()
    return jsonify(title=_("网格化社会治理平台 · 地理数据服务"),
                   description=_("区县、街道、社区、网格及事件、场所（OGC API – Features）"),
                   links=[_link(url_for("ogc.landing", _external=True), "self"),
                          _link(url_for("ogc.api_definition", _external=True), "service-desc",
                                ogc_openapi.MEDIA_TYPE),
                          _link(url_for("ogc.conformance", _external=True), "conformance"),
                          _link(url_for("ogc.collections", _external=True), "data")])


@bp.get("/api")
def api_definition():
    """The API definition of /ogcapi: an OpenAPI 3.0.3 document of its own paths
    (:mod:`gridapp.api.ogc_openapi`; no authentication needed, it holds no data)."""
    response = jsonify(ogc_openapi.document(url_for("ogc.landing", _external=True).rstrip("/"), oc.COLLECTIONS))
    response.mimetype = "application/vnd.oai.openapi+json"
    return response


@bp.get("/conformance")
def conformance():
    """The conformance classes implemented: Core, GeoJSON, OpenAPI 3.0."""
    api_user()
    return jsonify(conformsTo=CONFORMANCE)


def _collection(user, c) -> dict:
    box = oc.extent(user, c)
    body = {"id": c.id, "title": str(c.title), "itemType": "feature", "crs": [CRS84],
            "links": [_link(url_for("ogc.collection", collection_id=c.id, _external=True), "self"),
                      _link(url_for("ogc.items", collection_id=c.id, _external=True), "items", GEOJSON)]}
    if box:
        body["extent"] = {"spatial": {"bbox": [box], "crs": CRS84}}
    return body


@bp.get("/collections")
def collections():
    """The collections, each with its extent (of the features the caller may read) and links."""
    user = api_user()
    return jsonify(collections=[_collection(user, c) for c in oc.COLLECTIONS.values()],
                   links=[_link(url_for("ogc.collections", _external=True), "self")])


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection's description. 404 unknown collection."""
    user = api_user()
    return jsonify(_collection(user, oc.get_collection(collection_id)))


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    """Features: ``?bbox=min_lon,min_lat,max_lon,max_lat`` (CRS84) ``&limit=`` (1–10000, default
    10) ``&offset=`` → a FeatureCollection with numberMatched, numberReturned, timeStamp and
    self/next/prev links. 400 names a malformed parameter; 404 unknown collection."""
    user = api_user()
    c = oc.get_collection(collection_id)
    features, matched, limit, offset = oc.items(user, c, request.args)
    args = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}

    def page(rel: str, start: int) -> dict:
        return _link(url_for("ogc.items", collection_id=c.id, limit=limit, offset=start, _external=True, **args),
                     rel, GEOJSON)

    links = [page("self", offset)]
    if offset + len(features) < matched:
        links.append(page("next", offset + limit))
    if offset > 0:
        links.append(page("prev", max(0, offset - limit)))
    return _geojson({"type": "FeatureCollection", "features": features, "numberMatched": matched,
                     "numberReturned": len(features), "links": links})


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    """One feature; 404 for an absent one and one outside the caller's scope alike."""
    user = api_user()
    c = oc.get_collection(collection_id)
    feature = oc.item(user, c, feature_id)
    feature["links"] = [_link(url_for("ogc.item", collection_id=c.id, feature_id=feature_id, _external=True),
                              "self", GEOJSON),
                        _link(url_for("ogc.collection", collection_id=c.id, _external=True), "collection")]
    return _geojson(feature)


@bp.after_request
def _ask_for_basic(response):
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="gridapp"'
    return response


def init_app(app: Flask) -> None:
    """Register the OGC API blueprint (read only: CSRF-exempt like the API)."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
