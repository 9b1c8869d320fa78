"""No input crashes the app, over every route of the URL map: hostile query values, path values out
of range, JSON bodies with hostile values, NaN/Infinity numbers and nesting 100,000 deep (which
made Python's decoder raise RecursionError — a 500 on every JSON route, and on the error page
itself) answer 4xx, never 5xx, as an admin, a grid worker and anonymously."""
from __future__ import annotations

import json
import re

import pytest

from gridapp.security import MAX_JSON_DEPTH, json_depth

HOSTILE = ["a\x00b", "%ED%A0%80", "9" * 40, "2147483648", "0001-01-01", "NaN", "\u200b\u200b", "[]"]
PARAMS = ["level", "code", "from", "to", "page", "per_page", "state", "category", "bbox", "since", "status",
          "type", "risk_level", "difficulty", "campaign_id", "community_code", "grid_code", "format", "lang",
          "action", "username", "full", "reveal", "mine", "overdue"]
FIELDS = PARAMS + ["name", "description", "note", "lon", "lat", "category_code", "summary", "into", "handler",
                   "version", "hours", "n", "codes", "line", "photos", "attachments", "visits", "parties"]
DEEP = "[" * 100_000 + "]" * 100_000
NON_FINITE = '{"lon": NaN, "lat": Infinity, "n": 1e400, "version": -Infinity, "hours": 1e999}'


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and not rule.endpoint.endswith(".static"):
            yield rule, sorted(rule.methods - {"HEAD", "OPTIONS"})


def _url(rule, value: str) -> str:
    url = re.sub(r"<int:[^>]+>", "99999999999" if value == "2147483648" else "1", rule.rule)
    return re.sub(r"<[^>]+>", "%00" if value == "a\x00b" else "1", url)


@pytest.mark.parametrize("who", ["admin", "worker", None])
def test_every_route_answers_hostile_input_without_a_server_error(client, bearer, app, who):
    headers = bearer(who) if who else {}
    crashes = []
    for rule, methods in _routes(app):
        for method in methods:
            for value in HOSTILE:
                url = _url(rule, value)
                if method == "GET":
                    quoted = value if value.startswith("%") else value.replace("\x00", "%00")
                    answers = [client.get(url + "?" + "&".join(f"{p}={quoted}" for p in PARAMS), headers=headers)]
                else:
                    bodies = [json.dumps({f: value for f in FIELDS})] + ([DEEP, NON_FINITE] if value == "[]" else [])
                    answers = [client.open(url, method=method, headers=headers, data=body,
                                           content_type="application/json") for body in bodies]
                crashes += [(method, url, value[:12], r.status_code) for r in answers if r.status_code >= 500]
    assert not crashes, crashes[:20]


def test_json_depth_ignores_brackets_in_strings_and_the_limit_holds():
    assert json_depth('{"a": [1, {"b": "[[[[{{"}]}') == 3
    assert json_depth('"\\\\"[') == 1 and json_depth(b"[[[]]]") == 3
    assert MAX_JSON_DEPTH >= 8
