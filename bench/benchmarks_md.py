"""BENCHMARKS.md: replace (or append) one ``## `` section, keeping the others."""
from __future__ import annotations

from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def replace_section(head: str, section: str, path: Path = PATH) -> None:
    """Write ``section`` (starting with the ``head`` line) in place of the section with that head,
    or at the end of the file when there is none."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if head in text:
        start = text.index(head)
        end = text.find("\n## ", start + len(head))
        text = text[:start] + section + (text[end + 1:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
