"""Open311 GeoReport v2 under ``/open311/v2`` (http://wiki.open311.org/GeoReport_v2), JSON and XML:
``discovery``, ``services``, ``services/{service_code}``, ``requests`` (GET and POST),
``requests/{id}``, ``tokens/{token}`` and FixMyStreet's ``servicerequestupdates`` extension.

Every call but discovery and services needs ``api_key`` (an API key an admin issues with
``flask --app wsgi gridapp issue-key USER``; the client system reads and reports as that user,
scoped like them). Errors are the specification's: a list of ``{"code", "description"}`` (XML
``<errors><error>``) with the HTTP status. The mapping is :mod:`gridapp.incidents.open311`.
"""
from __future__ import annotations

from xml.etree import ElementTree

from flask import Blueprint, Flask, Response, jsonify, request, url_for

from ..accounts.service import user_for_token
from ..auth import bearer_token
from ..core.errors import DomainError, Unauthenticated
from ..extensions import csrf
from ..incidents import open311

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMATS = ("json", "xml")
#: XML element names of a list and of its items (GeoReport v2's XML).
XML_NAMES = {"services": ("services", "service"), "requests": ("service_requests", "request"),
             "definition": (None, "service_definition"), "errors": ("errors", "error"),
             "updates": ("service_request_updates", "request_update"), "discovery": (None, "discovery")}


def _xml_value(parent, key: str, value) -> None:
    child = ElementTree.SubElement(parent, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(child, k, v)
    elif isinstance(value, list):
        for v in value:
            _xml_value(child, key.rstrip("s") or "item", v)
    elif value is not None:
        child.text = str(value).lower() if isinstance(value, bool) else str(value)


def _render(fmt: str, kind: str, body, status: int = 200) -> Response:
    if fmt != "xml":
        response = jsonify(body)
        response.status_code = status
        return response
    outer, inner = XML_NAMES[kind]
    items = body if isinstance(body, list) else [body]
    root = ElementTree.Element(outer or inner)
    for item in items:
        node = ElementTree.SubElement(root, inner) if outer else root
        for key, value in item.items():
            _xml_value(node, key, value)
    xml = ElementTree.tostring(root, encoding="unicode")
    return Response('<?xml version="1.0" encoding="utf-8"?>' + xml, status=status,
                    content_type="text/xml; charset=utf-8")


def _key_user():
    """The user of the request's ``api_key`` (form or query), else of its bearer token or HTTP
    Basic key (for reading: clients that send GETs without api_key, configured with a .netrc)."""
    key = request.values.get("api_key") or bearer_token()
    if not key:
        raise Unauthenticated("api_key is required", code="api_key_required", field="api_key")
    return user_for_token(key)


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise DomainError("format must be json or xml", code="invalid_format", status=404, field="format")
    return fmt


@bp.errorhandler(DomainError)
def _error(err: DomainError):
    fmt = request.view_args.get("fmt") if request.view_args else "json"
    description = f"{err.field}: {err.message}" if err.field else err.message
    return _render(fmt if fmt in FORMATS else "json", "errors", [{"code": err.status, "description": description}],
                   err.status)


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    """The endpoint description: this server, its formats and the specification it implements."""
    base = url_for("open311.discovery", fmt="json", _external=True).rsplit("/", 1)[0]
    return _render(_fmt(fmt), "discovery", {"changeset": "2026-12-05T00:00:00+08:00", "contact": "",
                                            "key_service": "flask --app wsgi gridapp issue-key",
                                            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                                                           "url": base, "changeset": "2026-12-05T00:00:00+08:00",
                                                           "type": "production", "formats": ["application/json",
                                                                                             "text/xml"]}]})


@bp.get("/services.<fmt>")
def services(fmt: str):
    """The services: one per leaf incident category, ``group`` its parent category."""
    return _render(_fmt(fmt), "services", open311.services())


@bp.get("/services/<service_code>.<fmt>")
def service_definition(service_code: str, fmt: str):
    """A service's definition (no extra attributes); 404 unknown service_code."""
    return _render(_fmt(fmt), "definition", open311.service_definition(service_code))


@bp.get("/requests.<fmt>")
def list_requests(fmt: str):
    """Service requests the key's user may see (filters: :func:`gridapp.incidents.open311.requests`)."""
    fmt = _fmt(fmt)
    return _render(fmt, "requests", open311.requests(_key_user(), request.args))


@bp.post("/requests.<fmt>")
def create_request(fmt: str):
    """Create a service request (form-encoded: api_key, service_code, lat, long, description,
    media_url) → [{"service_request_id", "service_notice", "account_id"}]."""
    fmt = _fmt(fmt)
    return _render(fmt, "requests", [open311.create_request(_key_user(), request.form)], 201)


@bp.get("/requests/<incident_id>.<fmt>")
def get_request(incident_id: str, fmt: str):
    """One service request (a list of one, as the specification has it); 404 absent or out of scope."""
    fmt = _fmt(fmt)
    return _render(fmt, "requests", [open311.request(_key_user(), incident_id)])


@bp.get("/tokens/<incident_id>.<fmt>")
def token(incident_id: str, fmt: str):
    """Requests are created at once, so a token is the request's id: [{"service_request_id", "token"}]."""
    fmt = _fmt(fmt)
    found = open311.request(_key_user(), incident_id)
    return _render(fmt, "requests", [{"service_request_id": found["service_request_id"], "token": incident_id}])


@bp.get("/servicerequestupdates.<fmt>")
def request_updates(fmt: str):
    """FixMyStreet's extension: the status changes of the requests the key's user may see."""
    fmt = _fmt(fmt)
    return _render(fmt, "updates", open311.updates(_key_user(), request.args))


def init_app(app: Flask) -> None:
    """Register the Open311 blueprint (CSRF-exempt: a client system posts with its api_key)."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
