"""The inspection and notice rules (no database)."""
from __future__ import annotations

from gridapp.core.roles import OFFICE
from gridapp.inspections import rules


def test_escalation_needs_an_approval_by_office_roles():
    escalate = next(t for t in rules.TRANSITIONS if t.action == "escalate")
    approve = next(t for t in rules.TRANSITIONS if t.action == "approve")
    assert escalate.approval and set(escalate.sources) == {"failed", "overdue"}
    assert approve.roles == OFFICE and approve.sources == ("escalation_pending",)
    assert {t.variant: t.target for t in rules.TRANSITIONS if t.action == "reinspect"} == \
        {"passed": "passed", "failed": "failed"}


def test_numbers_and_names():
    prefix = rules.NUMBER_PREFIX.format(district="610202", year=2026)
    assert rules.NUMBER_FORMAT.format(prefix=prefix, seq=7) == "610202-整改〔2026〕0007号"
    assert set(rules.MEASURE_NAMES) == set(rules.MEASURES)
    assert set(rules.NOTICE_STATE_NAMES) == set(rules.NOTICE_STATES)
