"""Every setting the code reads is declared in config.py with its default (issue 16)."""
from __future__ import annotations

import re
from pathlib import Path

from config import Config

ROOT = Path(__file__).resolve().parents[2]
#: keys that belong to Flask or its extensions and keep their own defaults
FRAMEWORK_KEYS = {"TESTING", "SERVER_NAME", "COMPRESS_MIMETYPES", "COMPRESS_ALGORITHM"}
READ = re.compile(r"""config(?:\.get\(|\[|\.setdefault\()\s*["']([A-Z][A-Z0-9_]+)["']""")


def _keys_read() -> set[str]:
    return {key for path in (ROOT / "gridapp").rglob("*.py") for key in READ.findall(path.read_text("utf-8"))}


def test_every_key_read_is_declared_with_a_default():
    keys = _keys_read()
    assert {"TILES_URL", "PHOTO_MAX_BYTES", "LOCAL_TIMEZONE"} <= keys  # the scan finds reads
    missing = sorted(k for k in keys - FRAMEWORK_KEYS if not hasattr(Config, k))
    assert not missing, f"declare in config.Config: {missing}"


def test_every_declared_gridapp_setting_is_documented():
    doc = (ROOT / "config.py").read_text("utf-8").split('"""')[1]
    env_names = set(re.findall(r'_env\("(GRIDAPP_[A-Z0-9_]+)"', (ROOT / "config.py").read_text("utf-8")))
    undocumented = sorted(name for name in env_names if f"``{name}``" not in doc)
    assert not undocumented, undocumented


def test_every_setting_is_in_the_readme():
    env_names = set(re.findall(r'_env\("(GRIDAPP_[A-Z0-9_]+)"', (ROOT / "config.py").read_text("utf-8")))
    readme = (ROOT / "README.md").read_text("utf-8")
    assert {"GRIDAPP_TIMEZONE", "GRIDAPP_TILES_URL"} <= env_names
    assert not sorted(name for name in env_names if f"`{name}`" not in readme)
