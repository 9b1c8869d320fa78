"""The declared contract of API v1: every route's query string, path parameters, request body and
responses are pydantic v2 models (:mod:`gridapp.api.schemas`), checked by spectree before the
view runs; the OpenAPI 3.1 document at ``/api/v1/openapi.json`` is generated from them
(:func:`document`).

Order of answers for a bad request: 401 first (no valid credentials; public operations
excepted), then 400 naming the field — ``code`` ``invalid_<field>`` (``invalid_json`` for a body
that is not a JSON object), ``field`` the parameter name, the body member, or for nested members a
JSON pointer (``/visits/0/place_id``), ``message`` in the request's language
(:func:`gridapp.i18n.select_locale`). Path ids beyond PostgreSQL's integer are 404. A response
that breaks its own declared schema is a server error (500, logged), never sent as is.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from flask import Response as FlaskResponse
from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from spectree.plugins.flask_plugin import FlaskPlugin

from ..auth import api_user
from ..core import idempotency
from ..core.params import INT_MAX, INVISIBLE, has_control
from ..errors import BadInput, NotFound
from .schemas.common import ErrorBody

GEOJSON = "application/geo+json"
#: the longest operation summary (a longer first docstring paragraph moves to the description)
SUMMARY_MAX = 100
#: error statuses every operation may answer, besides those it declares
BASE_ERRORS = (400, 401, 403, 404)
#: one tag per domain, in the document's order
TAGS = {
    "auth": "Bearer tokens (登录令牌)", "areas": "Administrative areas, grids, locating a point",
    "incidents": "Incidents and the closed loop of a case (事件处置闭环)", "photos": "Photo uploads",
    "analytics": "KPIs and the review dashboard", "disputes": "Disputes (矛盾纠纷)",
    "places": "Places, inspections, campaigns, rectification notices",
    "notifications": "The caller's notifications", "org": "Party organisation roster (网格党组织)",
    "coverage": "Coverage of grids by workers and party groups", "boundaries": "Boundary import, export and grid edits",
    "security": "The security audit log", "meta": "This document",
}


@dataclass(frozen=True)
class Operation:
    """What the hooks need to know of one operation beyond spectree's metadata."""

    public: bool
    body: type[BaseModel] | None
    body_required: bool
    media: str | None  # the success response's media type when not application/json
    status: int
    path: type[BaseModel] | None = None  # the path parameters' model (beyond the URL rule's converters)
    inputs: tuple = ()  # the query, body and form models
    #: the domain orders the faults of the body (first fault wins): its ordinary faults are left
    #: to the domain, only the hostile classes (:data:`HOSTILE`) are refused before it
    domain_order: bool = False
    #: the view honours ``Idempotency-Key`` (:func:`gridapp.api.idempotency.idempotent`)
    idempotent: bool = False

    def model_named(self, title: str):
        """The input model whose name is ``title`` (pydantic's ValidationError.title), or None."""
        return next((m for m in self.inputs if m is not None and m.__name__ == title), None)


#: pydantic error types refused before any service even where the domain orders the faults
HOSTILE = frozenset({"control_character", "finite_number"})
#: view function name (= endpoint without the blueprint) → its operation
OPERATIONS: dict[str, Operation] = {}


class ResponseContractBroken(RuntimeError):
    """A view produced a response that does not match its declared schema (a server bug)."""


def _field(loc: tuple) -> str:
    if not loc:
        return ""
    if len(loc) == 1:
        return str(loc[0])
    return "/" + "/".join(str(p) for p in loc)


def _message(error: dict, field: str) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return _("请填写 %(field)s", field=field)
    if kind == "string_too_long":
        return _("%(field)s 不能超过 %(max)s 个字", field=field, max=ctx.get("max_length"))
    if kind == "control_character":
        return _("%(field)s 含有不允许的控制字符", field=field)
    if kind == "invisible_text":
        return _("%(field)s 不能只含不可见字符", field=field)
    if kind in ("literal_error", "enum"):
        return _("%(field)s 必须是 %(allowed)s 之一", field=field, allowed=ctx.get("expected", ""))
    if kind.startswith("bool"):
        return _("%(field)s 必须是 true 或 false", field=field)
    if kind == "string_type":
        return _("%(field)s 必须是文字", field=field)
    if kind.startswith("date") or "ge" in ctx and hasattr(ctx["ge"], "year"):
        return _("%(field)s 必须是 1900 到 2100 年间的日期 YYYY-MM-DD", field=field)
    if kind.startswith("int"):
        return _("%(field)s 必须是整数", field=field)
    if kind.startswith("float") or kind == "finite_number":
        return _("%(field)s 必须是有限的数字", field=field)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _("%(field)s 超出允许范围", field=field)
    return _("%(field)s 的格式不正确", field=field)


def validation_error(errors: list[dict], model=None) -> BadInput:
    """The BadInput (400) of the first of pydantic's ``errors``: code ``invalid_<member>`` (or
    the model's ``ERROR_CODES[member]``, the code the domain gives), the field named, the reason
    in the request's language; every error in ``details.errors``."""
    first = errors[0]
    loc = tuple(first.get("loc") or ())
    if not loc:
        return BadInput(_("请求体必须是 JSON 对象"), code="invalid_json")
    field = _field(loc)
    listed = [{"field": _field(tuple(e.get("loc") or ())), "reason": e.get("type")} for e in errors[:20]]
    code = getattr(model, "ERROR_CODES", {}).get(loc[0], f"invalid_{loc[0]}")
    return BadInput(_message(first, field), code=code, field=field, details={"errors": listed})


def _raw_query_problem() -> BadInput | None:
    """A query parameter whose raw bytes are not UTF-8 (werkzeug would replace them silently)."""
    for pair in request.query_string.split(b"&"):
        name, _sep, value = pair.partition(b"=")
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            field = unquote_to_bytes(name).decode("utf-8", "replace")
            return BadInput(_("%(field)s 不是有效的 UTF-8 文字", field=field), code=f"invalid_{field}", field=field)
    return None


def _path_problem(op: Operation) -> Exception | None:
    """A path parameter out of range (an id beyond int4 names nothing: 404), outside its
    declared choices (404: no such action), or a text one with control characters or only
    invisible ones (400)."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not 0 <= value <= INT_MAX:
            return NotFound(_("对象不存在"), code="not_found")
        if isinstance(value, str) and (has_control(value) or not INVISIBLE.sub("", value) or len(value) > 200):
            return BadInput(_("%(field)s 的格式不正确", field=name), code=f"invalid_{name}", field=name)
    if op.path is not None:
        try:
            op.path.model_validate(request.view_args or {})
        except ValidationError as err:
            first = err.errors()[0]
            if first["type"] == "literal_error":
                return NotFound(_("对象不存在"), code=f"unknown_{first['loc'][0]}")
            return validation_error(err.errors(include_context=True))
    return None


def _body_problem(op: Operation) -> BadInput | None:
    """A JSON body that is missing (where required) or not a JSON object."""
    if op.body is None:
        return None
    if not request.get_data():
        return BadInput(_("请求体必须是 JSON 对象"), code="invalid_json") if op.body_required else None
    if not isinstance(request.get_json(silent=True), dict):
        return BadInput(_("请求体必须是 JSON 对象"), code="invalid_json")
    return None


def _before(req, resp, req_validation_error, instance, model_adapter=None) -> None:
    """spectree's hook after request validation, before the view: 401, then 404/400."""
    op = OPERATIONS.get((req.endpoint or "").rpartition(".")[2])
    if op is None:
        return
    problem = _path_problem(op) or _raw_query_problem() or _body_problem(op)
    error = req_validation_error or getattr(req, "contract_error", None)
    if error is not None and op.domain_order and error.title == getattr(op.body, "__name__", None) \
            and not HOSTILE.intersection(e["type"] for e in error.errors()):
        error = None  # the domain reports it, in its order
    if problem is None and error is not None:
        problem = validation_error(error.errors(include_context=True), op.model_named(error.title))
    if problem is None:
        return
    if not op.public:
        api_user()  # 401 (no or bad credentials) comes before any input error
    raise problem


def _after(req, resp, resp_validation_error, instance, model_adapter=None) -> None:
    """spectree's hook after the view: a response breaking its schema is a bug (500); GeoJSON
    responses are labelled application/geo+json (RFC 7946)."""
    if resp_validation_error is not None:
        raise ResponseContractBroken(f"{req.method} {req.path}: {resp_validation_error}")
    op = OPERATIONS.get((req.endpoint or "").rpartition(".")[2])
    if op is not None and op.media == GEOJSON and resp.status_code < 300 and resp.mimetype == "application/json":
        resp.mimetype = GEOJSON


class ContractPlugin(FlaskPlugin):
    """spectree's Flask plugin, with two changes: a request validation error is kept on the
    request for :func:`_before` to render (spectree's own rendering echoes the input, which fails
    on a lone surrogate), and files (workbooks, exports, tiles) are left unchecked: only JSON
    answers are validated against the JSON models."""

    def request_validation(self, request, query, json, form, headers, cookies):
        try:
            super().request_validation(request, query, json, form, headers, cookies)
        except ValidationError as err:
            request.contract_error = err

    def validate_response(self, resp, resp_model, skip_validation, force_resp_serialize):
        payload = resp[0] if isinstance(resp, tuple) else resp
        if isinstance(payload, FlaskResponse) and not payload.is_json:
            skip_validation = True
        return super().validate_response(resp, resp_model, skip_validation, force_resp_serialize)


api = SpecTree(
    "flask", backend=ContractPlugin, mode="strict", annotations=False, validation_error_status=400,
    before=_before, after=_after,
    title="gridapp API", version="1", openapi_version="3.1.0",
    description="网格化社会治理平台 API v1. Coordinates WGS84 (EPSG:4326) lon/lat; times ISO 8601 UTC. "
                "Errors: {\"error\": {\"code\", \"message\", \"field\"?}}, message in the request's language "
                "(?lang=en or Accept-Language: en; Chinese by default).",
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer"))],
    security={"bearer": []},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
)


def operation(tag: str, ok=None, *, status: int = 200, query=None, body=None, form=None, public: bool = False,
              errors: tuple[int, ...] = (), media: str | None = None, body_required: bool = True,
              responses: dict | None = None, path: type[BaseModel] | None = None,
              domain_order: bool = False):
    """Declare a view's contract: ``tag`` (its domain), ``ok`` the model of its ``status``
    answer (None: no JSON body, e.g. 204 or a file of ``media``), ``query`` / ``body`` / ``form``
    the models of its query string, JSON body and multipart form; ``errors`` the error statuses
    besides 400/401/403/404; ``responses`` more status → model; ``path`` the model of the path
    parameters (choices, ranges); ``domain_order``: see :attr:`Operation.domain_order`.
    Validates before the view runs."""
    base = tuple(c for c in BASE_ERRORS if c not in (401, 403)) if public else BASE_ERRORS
    codes = {f"HTTP_{c}": ErrorBody for c in (*base, *errors)}
    codes[f"HTTP_{status}"] = ok
    for code, model in (responses or {}).items():
        codes[f"HTTP_{code}"] = model

    def decorate(func):
        OPERATIONS[func.__name__] = Operation(public, body, body_required, media, status, path,
                                              (query, body, form), domain_order,
                                              getattr(func, "idempotent", False))
        return api.validate(query=query, json=body, form=form, resp=Response(**codes), tags=[tag],
                            operation_id=func.__name__, security={} if public else None)(func)

    return decorate


def _declare_idempotency(item: dict, status: int) -> None:
    """The ``Idempotency-Key`` request header, the ``Idempotent-Replayed`` answer header and the
    409/422 answers of a create route that honours it (:mod:`gridapp.core.idempotency`)."""
    item.setdefault("parameters", []).append({
        "name": idempotency.HEADER, "in": "header", "required": False,
        "description": "A key chosen by the client (a UUID) to retry this request safely: a retry with the same key "
                       "and body gets the first answer again and creates nothing; the same key with another body is "
                       "422 idempotency_key_reused. Keys are kept 30 days.",
        "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$", "minLength": 1, "maxLength": 255}})
    ok = item["responses"].get(str(status))
    if ok is not None:
        ok["headers"] = {"Idempotent-Replayed": {"description": "true when this is the stored first answer of a retry",
                                                 "schema": {"type": "string", "enum": ["true"]}}}
    for code, reason in (("409", "Conflict"), ("422", "Unprocessable Entity")):  # key busy, key reused
        item["responses"].setdefault(code, {"description": reason, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})


def document() -> dict:
    """The OpenAPI 3.1 document of API v1 (needs an app context: routes come from its URL map):
    spectree's generation, then what it cannot say — public operations without security, optional
    bodies, GeoJSON and file media types, the tag list with descriptions, path id ranges."""
    spec = copy.deepcopy(api.spec)
    for methods in spec["paths"].values():
        for item in methods.values():
            op = OPERATIONS.get(item.get("operationId"))
            if op is None:
                continue
            summary = " ".join(item.get("summary", "").split())
            if len(summary) > SUMMARY_MAX:  # the docstring's first paragraph: keep it whole in the description
                item["description"] = "\n\n".join(filter(None, [summary, item.get("description")]))
                item["summary"] = summary.split(": ")[0].split(". ")[0][:SUMMARY_MAX]
            if op.public:
                item["security"] = []
            if op.body is not None and not op.body_required and "requestBody" in item:
                item["requestBody"]["required"] = False
            ok = item["responses"].get(str(op.status), {})
            if op.media == GEOJSON and "content" in ok:
                ok["content"] = {GEOJSON: ok["content"]["application/json"]}
            elif op.media:
                ok["content"] = {**ok.get("content", {}), **{
                    media: {"schema": {"$ref": "#/components/schemas/FeatureCollection"} if media == GEOJSON
                            else {"type": "string", "format": "binary"}} for media in op.media.split()}}
            if op.idempotent:
                _declare_idempotency(item, op.status)
            declared = op.path.model_json_schema()["properties"] if op.path is not None else {}
            for param in item.get("parameters", []):
                if param["name"] in declared and param["in"] == "path":
                    param["schema"] = {k: v for k, v in declared[param["name"]].items() if k != "title"}
                elif param["in"] == "path" and param["schema"].get("type") == "integer":
                    param["schema"].update(minimum=0, maximum=INT_MAX)
                elif param["in"] == "path":
                    param["schema"].setdefault("maxLength", 200)
    spec["tags"] = [{"name": name, "description": text} for name, text in TAGS.items()]
    spec["servers"] = [{"url": "/"}]
    return spec

