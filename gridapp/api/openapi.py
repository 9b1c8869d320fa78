"""The OpenAPI 3.0 document of API v1 (served at ``/api/v1/openapi.json``).

The main endpoints are written by hand from their contracts; every other /api/v1 route is
described from its view's docstring (:func:`describe_routes`), so a new route always appears. A
test checks that every /api/v1 route of the app appears here and nothing else.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..incidents.rules import ACTIONS, STATE_NAMES

ERROR = {"$ref": "#/components/responses/Error"}
FC = {"description": "GeoJSON FeatureCollection",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeatureCollection"}}}}


def _q(name: str, description: str, schema: dict | None = None, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


CASE = {"$ref": "#/components/schemas/Case"}
INCIDENT_FILTERS = [
    _q("state", "comma-separated states", {"type": "string", "example": "filed,dispatched"}),
    _q("category", "category code (prefix)"), _q("grid", "grid code (15 digits)"),
    _q("community", "community code (12 digits)"),
    _q("overdue", "only overdue cases", {"type": "boolean"}),
    _q("mine", "only cases dispatched to the caller or their department", {"type": "boolean"}),
    _q("from", "first local date (Asia/Shanghai) of reported_at", {"type": "string", "format": "date"}),
    _q("to", "last local date (inclusive)", {"type": "string", "format": "date"}),
    _q("page", "page number from 1", {"type": "integer", "minimum": 1}),
    _q("per_page", "page size", {"type": "integer", "minimum": 1, "maximum": 500}),
]


def openapi_path(flask_rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/grids/<code>/split`` → ``/grids/{code}/split``."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", flask_rule)


def describe_routes(paths: dict, routes: Iterable[tuple[str, str, str]]) -> None:
    """Add an operation for every (flask rule, HTTP method, docstring) not yet in ``paths``:
    summary = the docstring's first line, description = the rest, path parameters from the rule."""
    for rule, method, doc in routes:
        path, verb = openapi_path(rule), method.lower()
        if verb in paths.get(path, {}):
            continue
        first, _sep, rest = (doc or "").strip().partition("\n")
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)}", path)]
        paths.setdefault(path, {})[verb] = {
            "summary": first.strip(), "description": rest.strip(), "parameters": params,
            "responses": {"200": {"description": "OK"}, "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR}}


def document(routes: Iterable[tuple[str, str, str]] = ()) -> dict:
    """The OpenAPI 3.0.3 document (a dict ready for JSON); ``routes``: (flask rule, method,
    docstring) of every /api/v1 endpoint, to describe those not written by hand."""
    paths = {
        "/api/v1/auth/token": {"post": {
            "summary": "Exchange username and password for a bearer token", "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["username", "password"],
                "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "token": {"type": "string"}, "token_type": {"type": "string", "enum": ["Bearer"]},
                "expires_at": {"type": "string", "format": "date-time"}}}), "400": ERROR, "401": ERROR}}},
        "/api/v1/areas": {"get": {
            "summary": "Administrative areas of one level",
            "parameters": [_q("level", "district, township or community",
                              {"type": "string", "enum": ["district", "township", "community"]})],
            "responses": {"200": FC, "400": ERROR, "401": ERROR}}},
        "/api/v1/grids": {"get": {
            "summary": "Grids the caller may see", "parameters": [_q("community_code", "narrow to a community")],
            "responses": {"200": FC, "401": ERROR}}},
        "/api/v1/locate": {"get": {
            "summary": "Grid, community, township and district of a WGS84 point",
            "parameters": [_q("lon", "longitude (degrees)", {"type": "number"}, True),
                           _q("lat", "latitude (degrees)", {"type": "number"}, True)],
            "responses": {"200": _json({"type": "object", "properties": {
                k: {"type": "string", "nullable": k == "grid_code"}
                for k in ("grid_code", "community_code", "township_code", "district_code")}}),
                "400": ERROR, "401": ERROR, "404": ERROR}}},
        "/api/v1/incidents": {
            "get": {"summary": "Incidents the caller may see, filtered and paged (newest first)",
                    "parameters": INCIDENT_FILTERS,
                    "responses": {"200": FC, "400": ERROR, "401": ERROR}},
            "post": {"summary": "Report an incident (上报)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["category_code", "description", "lon", "lat"],
                         "properties": {"category_code": {"type": "string"}, "description": {"type": "string"},
                                        "lon": {"type": "number"}, "lat": {"type": "number"},
                                        "photos": {"type": "array", "items": {"type": "string"}}}}}}},
                     "responses": {"201": _json({"type": "object", "properties": {
                         "id": {"type": "integer"}, "grid_code": {"type": "string", "nullable": True},
                         "community_code": {"type": "string"}, "status": {"type": "string"},
                         "reported_at": {"type": "string", "format": "date-time"}}}, "Created"),
                         "400": ERROR, "401": ERROR, "403": ERROR, "422": ERROR}}},
        "/api/v1/incidents/duplicates": {"get": {
            "summary": "Possible duplicates: open cases of the category within 50 m in the last 7 days",
            "parameters": [_q("category_code", "category code", None, True),
                           _q("lon", "longitude (degrees)", {"type": "number"}, True),
                           _q("lat", "latitude (degrees)", {"type": "number"}, True)],
            "responses": {"200": _json({"type": "object", "properties": {"candidates": {
                "type": "array", "items": {"type": "object"}}}}), "400": ERROR, "401": ERROR}}},
        "/api/v1/incidents/{incident_id}": {"get": {
            "summary": "One case with state, version, deadline, flags and history",
            "parameters": [{"name": "incident_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": _json(CASE), "401": ERROR, "404": ERROR}}},
        "/api/v1/incidents/{incident_id}/actions/{action}": {"post": {
            "summary": "Take an action of the closed loop (see README permission table)",
            "parameters": [
                {"name": "incident_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "action", "in": "path", "required": True,
                 "schema": {"type": "string", "enum": list(ACTIONS)}}],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "version": {"type": "integer", "description": "the version the caller saw; stale → 409"},
                    "note": {"type": "string"}, "attachments": {"type": "array", "items": {"type": "string"}},
                    "department_code": {"type": "string"}, "handler": {"type": "string"},
                    "passed": {"type": "boolean"}, "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                    "hours": {"type": "integer", "minimum": 1, "maximum": 720}, "approved": {"type": "boolean"},
                    "into": {"type": "integer", "description": "merge: the case this one duplicates"}}}}}},
            "responses": {"200": _json(CASE), "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR,
                          "409": ERROR}}},
        "/api/v1/kpi": {"get": {
            "summary": "KPIs of an area and date range (definitions in the README)",
            "parameters": [_q("level", "area level", {"type": "string", "enum": ["grid", "community", "township",
                                                                                 "district"]}, True),
                           _q("code", "area or grid code", None, True),
                           _q("from", "first local date", {"type": "string", "format": "date"}),
                           _q("to", "last local date (inclusive)", {"type": "string", "format": "date"})],
            "responses": {"200": _json({"type": "object"}), "400": ERROR, "401": ERROR, "403": ERROR,
                          "404": ERROR}}},
        "/api/v1/photos": {"post": {
            "summary": "Upload a photo (JPEG/PNG/WebP by content, size limit); returns its ref and EXIF GPS",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json({"type": "object", "properties": {
                "ref": {"type": "string", "example": "photo:<sha256>"}, "content_type": {"type": "string"},
                "size": {"type": "integer"}, "width": {"type": "integer"}, "height": {"type": "integer"},
                "gps": {"type": "object", "nullable": True, "properties": {
                    "lon": {"type": "number"}, "lat": {"type": "number"}}}}}, "Created"),
                "400": ERROR, "401": ERROR, "413": ERROR}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                         "responses": {"200": _json({"type": "object"})}}},
    }
    describe_routes(paths, routes)
    return {
        "openapi": "3.0.3",
        "info": {"title": "gridapp API", "version": "1",
                 "description": "网格化社会治理平台 API v1. Coordinates WGS84 (EPSG:4326) lon/lat; "
                                "times ISO 8601 UTC."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": _json({"type": "object", "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "details": {"type": "object"}}}}}, "Error")},
            "schemas": {
                "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"type": "object"}},
                    "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"}}},
                "Case": {"type": "object", "required": ["id", "state", "version", "history"], "properties": {
                    "id": {"type": "integer"}, "state": {"type": "string", "enum": list(STATE_NAMES)},
                    "version": {"type": "integer"},
                    "deadline_at": {"type": "string", "format": "date-time", "nullable": True},
                    "overdue": {"type": "boolean"}, "due_soon": {"type": "boolean"},
                    "due_today": {"type": "boolean"},
                    "allowed_actions": {"type": "array", "items": {"type": "string"}},
                    "history": {"type": "array", "items": {"type": "object"}}}},
            },
        },
    }
