"""Parameter parsers: one for each kind of value a request carries.

Every parser takes the raw value (a JSON value or a query-string text) and the ``field`` it came
from, returns the clean value, and raises :class:`~gridapp.core.errors.BadInput` (400) whose
``field`` names the parameter and whose ``code`` is ``invalid_<field>`` (``<field>_required`` for a
missing required text). A parser never guesses: a value it cannot read is refused, never dropped.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from .clock import day_range
from .errors import BadInput

INT_MAX = 2**31 - 1  # PostgreSQL integer: ids and counts
PER_PAGE_MAX = 500
PAGE_MAX = 10**6
NOTE_MAX = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]")
#: characters that show nothing: white space, zero-width and bidirectional marks, BOM; a required
#: text made only of these is missing
INVISIBLE = re.compile(r"[\s\u00ad\u180e\u200b-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]")


def has_control(value: str) -> bool:
    """True when a text holds a control character (NUL and the other C0 but tab, newline and
    carriage return; DEL) or a lone surrogate — what :func:`text` refuses."""
    return bool(_CONTROL.search(value))


def bad(field: str, message: str, code: str | None = None) -> BadInput:
    """The BadInput (400) of ``field``: code ``invalid_<field>`` unless ``code`` is given."""
    return BadInput(message, code=code or f"invalid_{field}", field=field)


def text(value, field: str, max_len: int, required: bool = True, message: str | None = None) -> str | None:
    """A text: stripped, at most ``max_len`` characters, no control character (NUL …) or lone
    surrogate; None or "" is None unless ``required`` (then a text of only invisible characters,
    :data:`INVISIBLE`, is missing too). Raises BadInput ``invalid_<field>``."""
    if value is not None and not isinstance(value, str):
        raise bad(field, message or _("%(field)s 必须是文字", field=field))
    value = (value or "").strip()
    if required and not INVISIBLE.sub("", value):
        raise bad(field, message or _("请填写 %(field)s", field=field))
    if len(value) > max_len:
        raise bad(field, message or _("%(field)s 不能超过 %(max)s 个字", field=field, max=max_len))
    if _CONTROL.search(value):
        raise bad(field, _("%(field)s 含有不允许的控制字符", field=field))
    return value or None


def note(value, required: bool = False, max_len: int = NOTE_MAX) -> str | None:
    """The free-text ``note`` of an action (说明/理由): at most ``max_len`` characters; when
    ``required`` and empty, BadInput ``note_required``; otherwise ``invalid_note``."""
    if value is not None and not isinstance(value, str):
        raise bad("note", _("说明 (note) 必须是文字"))
    if len((value or "").strip()) > max_len:
        raise bad("note", _("说明 (note) 不能超过 %(max)s 个字", max=max_len))
    if required and not (value or "").strip():
        raise bad("note", _("此操作必须填写说明或理由 (note)"), code="note_required")
    return text(value, "note", max_len, required=False)


def choice(value, field: str, allowed, message: str | None = None) -> str:
    """One of ``allowed`` (exact). Raises BadInput ``invalid_<field>`` naming the choices."""
    if not isinstance(value, str) or value not in allowed:
        raise bad(field, message or _("%(field)s 必须是 %(allowed)s 之一", field=field, allowed=", ".join(allowed)))
    return value


def area_level(value, allowed) -> str:
    """The ``level`` parameter: one of the area levels ``allowed``. Raises BadInput ``invalid_level``."""
    return choice(value, "level", allowed, _("level 必须是 %(levels)s 之一，收到 %(value)s",
                                               levels=" | ".join(allowed), value=repr(value)))


def integer(value, field: str, low: int = 1, high: int = INT_MAX, message: str | None = None) -> int:
    """An integer in [low, high] from an int or a decimal text (a bool is refused).
    Raises BadInput ``invalid_<field>``."""
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        value = None
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or not low <= number <= high:
        raise bad(field, message or _("%(field)s 必须是 %(low)s 到 %(high)s 的整数", field=field, low=low, high=high))
    return number


def real(value, field: str, low: float, high: float, message: str | None = None) -> float:
    """A finite number in [low, high] from a number or a decimal text (a bool is refused).
    Raises BadInput ``invalid_<field>``."""
    try:
        number = None if isinstance(value, bool) else float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or not low <= number <= high:  # NaN fails both comparisons
        raise bad(field, message or _("%(field)s 必须是 %(low)s 到 %(high)s 之间的数", field=field, low=low, high=high))
    return number


def boolean(value, field: str, message: str | None = None) -> bool:
    """true/false from a bool or the texts true, false, 1, 0 (any case). Raises BadInput."""
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        value = value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise bad(field, message or _("%(field)s 必须是 true 或 false", field=field))
    return value


def flag(args: dict, field: str) -> bool:
    """A list filter flag: true when ``args[field]`` is true/1, false when absent, empty or
    false/0. Raises BadInput for anything else."""
    value = args.get(field)
    return False if value in (None, "") else boolean(value, field)


def day(value, field: str, low: date = date(1900, 1, 1), high: date = date(2999, 12, 31)) -> date:
    """A calendar date YYYY-MM-DD within [low, high]. Raises BadInput ``invalid_<field>``."""
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d").date() if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or not low <= parsed <= high:
        raise bad(field, _("%(field)s 必须是日期 YYYY-MM-DD", field=field))
    return parsed


def instant(value, field: str) -> datetime:
    """An ISO 8601 date or date-time (``Z`` or an offset; without one, UTC), years 1900–2100 →
    an aware datetime. Raises BadInput ``invalid_<field>``."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or not 1900 <= moment.year <= 2100:
        raise bad(field, _("%(field)s 必须是 ISO 8601 日期或时间（1900–2100 年）", field=field))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def date_range(date_from=None, date_to=None) -> tuple:
    """Local dates ``from`` / ``to`` (YYYY-MM-DD, both inclusive, optional) → [start, end) in
    UTC. Raises BadInput ``invalid_from``/``invalid_to``, ``invalid_range`` (to before from)."""
    start = day(date_from, "from") if date_from else None
    end = day(date_to, "to") if date_to else None
    if start and end and end < start:
        raise BadInput(_("起始日期 (from) 不能晚于截止日期 (to)"), code="invalid_range", field="to")
    return day_range(start, end)


def period_conditions(column, date_from=None, date_to=None) -> list:
    """SQL conditions putting the UTC timestamp ``column`` within the local dates of
    :func:`date_range` (none for an open end). Raises BadInput as :func:`date_range`."""
    start, end = date_range(date_from, date_to)
    return ([column >= start] if start is not None else []) + ([column < end] if end is not None else [])


def bbox(value, field: str = "bbox") -> tuple[float, float, float, float]:
    """"min_lon,min_lat,max_lon,max_lat" (SRID 4326 degrees) → four floats. Raises BadInput
    unless four finite numbers with min < max, lon in [-180, 180], lat in [-90, 90]."""
    try:
        box = tuple(float(v) for v in str(value).split(","))
    except ValueError:
        box = ()
    if (len(box) != 4 or not all(math.isfinite(v) for v in box) or not (box[0] < box[2] and box[1] < box[3])
            or not (-180 <= box[0] and box[2] <= 180 and -90 <= box[1] and box[3] <= 90)):
        raise bad(field, _("bbox 必须是 最小经度,最小纬度,最大经度,最大纬度（WGS84 度），收到 %(value)s",
                           value=repr(value)))
    return box


def page(args: dict) -> tuple[int, int]:
    """(page from 1, per_page 1–500, default 500) from list arguments. Raises BadInput."""
    number = integer(args["page"], "page", 1, PAGE_MAX, _("page 必须是正整数")) if args.get("page") else 1
    per_page = integer(args["per_page"], "per_page", 1, PER_PAGE_MAX, _("per_page 必须是 1 到 500 的整数")) \
        if args.get("per_page") else PER_PAGE_MAX
    return number, per_page


def page_of(model, conds: list, order_by: tuple, args: dict) -> tuple[list, int, int, int]:
    """One page of the rows of ``model`` meeting ``conds`` in ``order_by`` order, paged as
    :func:`page`: (rows, total matched, page, per_page). Raises BadInput."""
    session = db.session
    number, per_page = page(args)
    total = session.scalar(select(func.count()).select_from(model).where(*conds))
    items = list(session.scalars(select(model).where(*conds).order_by(*order_by)
                                 .limit(per_page).offset((number - 1) * per_page)))
    return items, total, number, per_page


def states(value, field: str, known) -> list[str]:
    """A comma-separated list of states, each one of ``known``. Raises BadInput
    ``invalid_state_filter`` naming the unknown ones."""
    items = [s.strip() for s in str(value).split(",") if s.strip()]
    unknown = [s for s in items if s not in known]
    if unknown:
        raise BadInput(_("未知的状态 %(states)s", states=", ".join(unknown)), code="invalid_state_filter", field=field)
    return items


__all__ = ["bad", "text", "note", "choice", "integer", "boolean", "flag", "day", "date_range", "period_conditions",
           "bbox", "page", "page_of", "states"]
