"""Templates write punctuation between values through ``punct`` (gridapp.i18n): full-width in
Chinese, Latin in English — never a bare full-width mark an English page would show."""
from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, render_template_string, session
from flask_babel import Babel

from gridapp import i18n

ROOT = Path(__file__).resolve().parents[2]
#: Jinja's expressions, statements and comments: what is not template text
TOKEN = re.compile(r"({{.*?}}|{%.*?%}|{#.*?#})", re.S)
MARKS = "：，、；（）"


def test_no_template_writes_a_full_width_mark_outside_a_message():
    bare = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        parts = TOKEN.split(path.read_text("utf-8"))
        text = "".join(parts[0::2])  # the template text between Jinja's tokens
        expressions = "".join(parts[1::2])
        found = [ch for ch in text if ch in MARKS]
        found += re.findall(r"join\(['\"][：，、；]['\"]\)|['\"][：，、；]['\"] if", expressions)
        if found:
            bare[str(path.relative_to(ROOT))] = found
    assert bare == {}


def test_punctuation_follows_the_page_language():
    app = Flask(__name__)
    app.secret_key = "test"
    Babel(app, locale_selector=i18n.select_locale)
    app.jinja_env.globals["punct"] = i18n.punct
    template = "a{{ punct('colon') }}b{{ ['x', 'y']|join(punct('comma')) }}{{ punct('lp') }}c{{ punct('rp') }}"
    for lang, expected in (("zh", "a：bx，y（c）"), ("en", "a: bx, y (c)")):
        with app.test_request_context("/"):
            session["lang"] = lang
            assert render_template_string(template) == expected, lang
