"""The limiter's request filter (gridapp.auth._without_limits) skips Flask-Limiter's per-request
evaluation on every view outside :data:`gridapp.auth.THROTTLED_VIEWS`. A limit declared anywhere
else would silently never count: this test fails loudly instead."""
from __future__ import annotations

import re
from pathlib import Path

GRIDAPP = Path(__file__).resolve().parents[3] / "gridapp"


def test_limits_are_declared_only_by_the_login_throttle():
    declaring = re.compile(r"\blimiter\.(limit|shared_limit)\(|@limiter\.(limit|shared_limit)\b")
    found = {path.relative_to(GRIDAPP).as_posix() for path in GRIDAPP.rglob("*.py")
             if declaring.search(path.read_text(encoding="utf-8"))}
    assert found == {"auth.py"}, f"limits declared outside gridapp/auth.py's login_throttle: {found}"


def test_the_login_views_are_the_throttled_ones(app):
    from gridapp.auth import THROTTLED_VIEWS

    views = {f"{v.__module__}.{v.__qualname__}": endpoint for endpoint, v in app.view_functions.items()}
    assert {views[name] for name in THROTTLED_VIEWS} == {"api.create_token", "web.login"}
