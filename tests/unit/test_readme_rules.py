"""The README's "where to change a rule" names one file per question, and each answer is true:
the file exists and defines the names the answer gives (no database)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _answers() -> list[tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Where to change a rule", 1)[1].split("\n\n", 2)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`gridapp/" in line]
    return [(row.split("|")[1].strip(), re.search(r"`(gridapp/[\w/]+\.py)`", row.split("|")[2]).group(1),
             row.split("|")[2]) for row in rows]


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def test_each_question_has_one_rules_file_that_defines_what_the_answer_names():
    answers = _answers()
    assert [q for q, _f, _a in answers] == [
        "the deadline of an incident category or level", "who may approve an extension (延期)",
        "how a dispute is routed by difficulty", "the colour and meaning of an unstaffed grid on the coverage map"]
    for _question, file, answer in answers:
        assert file.endswith("/rules.py") and (ROOT / file).is_file(), file
        named = set(re.findall(r"`([A-Z][A-Z_]+)`", answer.split("—")[0]))
        assert named <= _defined(ROOT / file), (file, named - _defined(ROOT / file))


def test_the_answers_hold():
    from gridapp.coverage.rules import GRID_STATUSES, grid_status
    from gridapp.disputes.rules import HANDLING_ROLE
    from gridapp.incidents.rules import APPROVERS, TRANSITIONS

    assert grid_status(0, None) == "no_worker" and GRID_STATUSES["no_worker"]["fillColor"]
    assert HANDLING_ROLE["hard"] == "district"
    extend = next(t for t in TRANSITIONS if t.action == "extend")
    approve = next(t for t in TRANSITIONS if t.action == "approve")
    assert extend.approval and approve.roles == APPROVERS
