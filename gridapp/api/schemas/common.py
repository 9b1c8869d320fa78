"""Value types and shapes shared by the schemas of API v1 (pydantic v2).

The types carry the rules every request value obeys (issue 17): texts without control characters
(NUL and the other C0 but tab/newline/CR, DEL) or lone surrogates, required texts not made only of
invisible characters, integers within PostgreSQL ``integer`` (int4), dates within 1900–2100,
finite WGS84 coordinates. A value breaking one is refused with 400 naming the field
(:mod:`gridapp.api.contract` renders pydantic's errors in the request's language).
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ...core.params import INT_MAX, INVISIBLE, PAGE_MAX, PER_PAGE_MAX, has_control

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)


def _no_control(value: str) -> str:
    if has_control(value):
        raise PydanticCustomError("control_character", "control character or lone surrogate")
    return value


def _visible(value: str) -> str:
    if not INVISIBLE.sub("", value):
        raise PydanticCustomError("invisible_text", "text made only of invisible characters")
    return value


def _binary(schema: dict) -> None:
    schema.clear()
    schema.update(type="string", format="binary")


#: an uploaded file (a multipart member); the view says what is missing or wrong with it
Upload = Annotated[Any, Field(None, json_schema_extra=_binary)]


class Model(BaseModel):
    """A request shape: unknown members are ignored (clients may send more)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    #: member → the error code the domain gives for it (default ``invalid_<member>``)
    ERROR_CODES: ClassVar[dict[str, str]] = {}


class Out(BaseModel):
    """A response shape: the declared members are checked, more may follow."""

    model_config = ConfigDict(extra="allow")


#: An optional text (may be empty) of at most 2,000 characters.
Text = Annotated[str, Field(max_length=2000), AfterValidator(_no_control)]
#: A short text: a code, a name, a filter value (≤ 200 characters).
Short = Annotated[str, Field(max_length=200), AfterValidator(_no_control)]
#: A required text: at least one visible character.
Required = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_no_control),
                     AfterValidator(_visible)]
#: A required short text (a name, a code).
RequiredShort = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_control),
                          AfterValidator(_visible)]
#: An id of a row (PostgreSQL integer, from 1).
Id = Annotated[int, Field(ge=1, le=INT_MAX)]
#: A count or number stored in an integer column.
Int4 = Annotated[int, Field(ge=-INT_MAX - 1, le=INT_MAX)]
#: A calendar date YYYY-MM-DD within 1900–2100.
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
#: WGS84 longitude / latitude in degrees (finite).
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
#: a query-string flag: true/false/1/0
Flag = Literal["true", "false", "1", "0", "True", "False", "TRUE", "FALSE"]
AreaLevel = Literal["grid", "community", "township", "district"]


class Period(Model):
    """``from`` / ``to``: local dates (Asia/Shanghai), both inclusive."""

    from_: Day | None = Field(None, alias="from", description="first local date (YYYY-MM-DD)")
    to: Day | None = Field(None, description="last local date, inclusive (YYYY-MM-DD)")


class AreaPeriod(Period):
    """An area (level and code) and a period, as the figures endpoints take them."""

    level: AreaLevel | None = None
    code: Short | None = None


class Paging(Model):
    """``page`` from 1 and ``per_page`` (≤ 500): out of range is 400, never clamped."""

    page: int | None = Field(None, ge=1, le=PAGE_MAX)
    per_page: int | None = Field(None, ge=1, le=PER_PAGE_MAX)


class ErrorDetail(BaseModel):
    """The error member: a stable ``code``, a ``message`` in the request's language, the
    ``field`` at fault (a parameter name, a body member, or a JSON pointer into the body)."""

    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API: ``{"error": {"code", "message", "field"?}}``."""

    error: ErrorDetail


# --- GeoJSON (RFC 7946) -------------------------------------------------------------------------
Position = Annotated[list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=2, max_length=3)]


class Geometry(BaseModel):
    """A GeoJSON geometry (Point, LineString, Polygon, Multi*; lon/lat WGS84)."""

    type: Literal["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"]
    coordinates: Any = None
    geometries: list[Any] | None = None


class Feature(Out):
    """A GeoJSON Feature."""

    type: Literal["Feature"]
    id: int | str | None = None
    geometry: Geometry | None
    properties: dict[str, Any] | None


class FeatureCollection(Out):
    """A GeoJSON FeatureCollection (served as application/geo+json)."""

    type: Literal["FeatureCollection"]
    features: list[Feature]


class FeaturePage(FeatureCollection):
    """A page of a filtered list as a FeatureCollection (OGC API Features members)."""

    numberMatched: int
    numberReturned: int
    page: int
    per_page: int


class LineString(BaseModel):
    """A GeoJSON LineString (lon/lat WGS84)."""

    type: Literal["LineString"]
    coordinates: list[Position] = Field(min_length=2, max_length=10_000)


class Empty(Model):
    """No body needed (an empty JSON object)."""


class OpenAPIDocument(Out):
    """An OpenAPI 3.1 document."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
