"""Every string marked for translation has an English translation (no fuzzy, placeholders kept)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "gridapp" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def test_every_marked_string_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True,
                   capture_output=True)
    with pot.open("rb") as fh:
        source_ids = {m.id for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        catalog = {m.id: m for m in read_po(fh) if m.id}
    missing = sorted(source_ids - {i for i, m in catalog.items() if m.string and not m.fuzzy})
    assert not missing, f"untranslated (run pybabel extract/update and translate): {missing}"
    for msgid in source_ids:
        assert _placeholders(msgid) == _placeholders(catalog[msgid].string), msgid
