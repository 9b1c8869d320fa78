"""The one set of parameter parsers: each refuses with a BadInput that names the field (no database)."""
from __future__ import annotations

from datetime import date

import pytest

from gridapp.core import params as p
from gridapp.core.errors import BadInput


@pytest.mark.parametrize(("call", "field", "code"), [
    (lambda: p.text(None, "summary", 10), "summary", "invalid_summary"),
    (lambda: p.text("x" * 11, "summary", 10), "summary", "invalid_summary"),
    (lambda: p.text("a\x00b", "summary", 10), "summary", "invalid_summary"),
    (lambda: p.text("\ud800", "summary", 10), "summary", "invalid_summary"),
    (lambda: p.text(5, "summary", 10), "summary", "invalid_summary"),
    (lambda: p.note("", required=True), "note", "note_required"),
    (lambda: p.choice("x", "source", ("a", "b")), "source", "invalid_source"),
    (lambda: p.choice(["a"], "source", ("a", "b")), "source", "invalid_source"),
    (lambda: p.integer("abc", "hours", 1, 720), "hours", "invalid_hours"),
    (lambda: p.integer(True, "hours", 1, 720), "hours", "invalid_hours"),
    (lambda: p.integer(721, "hours", 1, 720), "hours", "invalid_hours"),
    (lambda: p.integer(2**31, "id"), "id", "invalid_id"),
    (lambda: p.integer("9" * 5000, "id"), "id", "invalid_id"),
    (lambda: p.integer(1.5, "id"), "id", "invalid_id"),
    (lambda: p.boolean("yes", "passed"), "passed", "invalid_passed"),
    (lambda: p.flag({"overdue": "maybe"}, "overdue"), "overdue", "invalid_overdue"),
    (lambda: p.day("2026-02-30", "from"), "from", "invalid_from"),
    (lambda: p.day("0001-01-01", "from"), "from", "invalid_from"),
    (lambda: p.date_range("2026-03-05", "2026-03-04"), "to", "invalid_range"),
    (lambda: p.bbox("1,2,3"), "bbox", "invalid_bbox"),
    (lambda: p.bbox("10,10,5,20"), "bbox", "invalid_bbox"),
    (lambda: p.bbox("nan,1,2,3"), "bbox", "invalid_bbox"),
    (lambda: p.page({"page": "0"}), "page", "invalid_page"),
    (lambda: p.page({"per_page": "501"}), "per_page", "invalid_per_page"),
    (lambda: p.states("open,nonsense", "state", ("open",)), "state", "invalid_state_filter"),
])
def test_each_parser_refuses_naming_the_field(call, field, code):
    with pytest.raises(BadInput) as err:
        call()
    assert (err.value.status, err.value.field, err.value.code) == (400, field, code)


def test_parsers_return_clean_values():
    assert p.text("  路灯不亮 ", "description", 10) == "路灯不亮"
    assert p.text("", "leader", 10, required=False) is None
    assert p.integer(" 42 ", "hours", 1, 720) == 42 and p.integer(3.0, "hours") == 3
    assert p.boolean("TRUE", "passed") is True and p.boolean("0", "passed") is False
    assert p.flag({}, "overdue") is False and p.flag({"overdue": "1"}, "overdue") is True
    assert p.day("2026-03-02", "from") == date(2026, 3, 2)
    assert p.bbox("108.9,35.0,109.2,35.2") == (108.9, 35.0, 109.2, 35.2)
    assert p.page({}) == (1, 500) and p.page({"page": "3", "per_page": "20"}) == (3, 20)


def test_date_range_is_local_days_in_utc():
    start, end = p.date_range("2026-03-02", "2026-03-02")
    assert (start.isoformat(), end.isoformat()) == ("2026-03-01T16:00:00+00:00", "2026-03-02T16:00:00+00:00")
