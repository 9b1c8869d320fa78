"""The API definition of ``/ogcapi`` (OGC API – Features Part 1, requirement class "OpenAPI 3.0",
/req/oas30): an OpenAPI 3.0.3 document of its own paths, linked from the landing page as
``service-desc``. Written out here because the /api/v1 document is OpenAPI 3.1 and describes other
paths; its shape follows OGC 17-069r4 §7.2–7.16 and pygeoapi's documents."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
_JSON, _GEOJSON = "application/json", "application/geo+json"


def _error(description: str) -> dict:
    return {"description": description, "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, media: str = _JSON, schema: dict | None = None) -> dict:
    return {"200": {"description": description, "content": {media: {"schema": schema or {"type": "object"}}}},
            "401": _error("authentication needed (bearer token, or HTTP Basic with an API key)")}


def _op(op_id: str, summary: str, responses: dict, parameters: list | None = None) -> dict:
    return {"get": {"operationId": op_id, "summary": summary, "tags": ["OGC API – Features"],
                    "parameters": parameters or [], "responses": responses}}


def document(server_url: str, collection_ids: Iterable[str]) -> dict:
    """The OpenAPI 3.0.3 document (a dict) of /ogcapi served at ``server_url`` (absolute URL of
    /ogcapi, no trailing slash), the collection ids as the enumeration of ``collectionId``."""
    collection = {"name": "collectionId", "in": "path", "required": True,
                  "schema": {"type": "string", "enum": list(collection_ids)}}
    feature = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
    query = [
        {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
         "description": "min lon, min lat, max lon, max lat (CRS84)",
         "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}},
        {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}},
        {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0, "default": 0}},
    ]
    not_found = {"404": _error("no such collection or feature (or outside the caller's scope)")}
    return {
        "openapi": "3.0.3",
        "info": {"title": _("网格化社会治理平台 · 地理数据服务"), "version": "1.0.0",
                 "description": _("区县、街道、社区、网格及事件、场所（OGC API – Features）")},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}, {"basic": []}],
        "paths": {
            "/": _op("getLandingPage", "Landing page", _ok("links to the API definition, conformance and data")),
            "/conformance": _op("getConformance", "Conformance classes", _ok("conformsTo: the class URIs")),
            "/collections": _op("getCollections", "Collections", _ok("the collections with extents and links")),
            "/collections/{collectionId}": _op("describeCollection", "One collection",
                                               {**_ok("the collection"), **not_found}, [collection]),
            "/collections/{collectionId}/items": _op(
                "getFeatures", "Features of a collection",
                {**_ok("a GeoJSON FeatureCollection with numberMatched, numberReturned and links", _GEOJSON,
                       {"type": "object", "required": ["type", "features"],
                        "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                                       "features": {"type": "array", "items": {"type": "object"}},
                                       "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"},
                                       "links": {"type": "array", "items": {"type": "object"}}}}),
                 "400": _error("a malformed parameter (named in the error)"), **not_found},
                [collection, *query]),
            "/collections/{collectionId}/items/{featureId}": _op(
                "getFeature", "One feature", {**_ok("a GeoJSON Feature", _GEOJSON), **not_found},
                [collection, feature]),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "basic": {"type": "http", "scheme": "basic",
                                          "description": "any user name, an API key as password (read only)"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                                 "field": {"type": "string", "nullable": True}}}}}},
        },
    }
