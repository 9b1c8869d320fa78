"""No form records an answer nobody gave (issue 24): in every form that writes (method="post"),
a single-choice list starts on an empty option ("请选择", or "无" where the field is optional) and
no box or radio is ticked in advance, unless listed below with the reason the preset is not an
answer about the world."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: (template, select name) → why a preset choice is acceptable there.
PRESET_ALLOWED = {
    ("disputes/dispute_new.html", "party{{ i }}_kind"): "a party row's kind: 自然人 unless changed; rows "
                                                        "left empty are ignored, so it cannot be required",
    ("incidents/admin_categories.html", "category_code"): "picks the category to configure, not a fact",
    ("incidents/admin_categories.html", "department_code"): "picks the department to add a handler to",
    ("org/org_community.html", "kind"): "picks what the uploaded file contains; a wrong choice is refused "
                                        "by the import's header check",
}
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)


def _post_forms():
    for path in sorted(TEMPLATES.rglob("*.html")):
        for form in FORM.finditer(path.read_text(encoding="utf-8")):
            if 'method="post"' in form.group(0).split(">", 1)[0]:
                yield path.relative_to(TEMPLATES).as_posix(), form.group(0)


def test_single_choice_lists_start_unanswered():
    preset = []
    for name, form in _post_forms():
        for select in SELECT.finditer(form):
            head, options = select.groups()
            if "multiple" in head:
                continue
            field = re.search(r'name="([^"]+)"', head).group(1)
            first = re.search(r"<option\b([^>]*)>", options)
            if (name, field) not in PRESET_ALLOWED and not (first and 'value=""' in first.group(1)):
                preset.append((name, field))
    assert not preset, f"lists that answer for the user (start them on an empty 请选择 option): {preset}"


def test_no_box_or_radio_is_ticked_in_advance():
    ticked = [(name, tag) for name, form in _post_forms() for tag in re.findall(r"<input\b[^>]*>", form)
              if re.search(r"\bchecked\b", tag) and "{{" not in tag.split("checked")[0].rsplit(" ", 1)[-1]
              and "if " not in tag]
    assert not ticked, ticked


def test_the_scan_sees_the_forms_it_guards():
    names = {name for name, _form in _post_forms()}
    assert {"inspections/inspection_new.html", "disputes/dispute.html", "disputes/dispute_new.html"} <= names
