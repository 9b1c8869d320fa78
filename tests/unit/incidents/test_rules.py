"""The incident rules: the table's shape and the deadline constants (no database)."""
from __future__ import annotations

from datetime import timedelta

from gridapp.core.roles import OFFICE, RANK
from gridapp.incidents import rules


def test_every_side_action_is_decided_by_office_roles_only():
    approve = next(t for t in rules.TRANSITIONS if t.action == "approve")
    assert set(approve.roles) == set(OFFICE) == {"secretary", "township", "district", "admin"}
    assert rules.SIDE_ACTIONS == ("return", "void", "extend", "defer")
    assert min(RANK[r] for r in approve.roles) > RANK["worker"]


def test_variants_share_sources_and_roles():
    verify = [t for t in rules.TRANSITIONS if t.action == "verify"]
    assert {t.variant for t in verify} == {"passed", "failed"}
    assert len({(t.sources, t.roles) for t in verify}) == 1
    assert {t.variant: t.target for t in verify} == {"passed": "closed", "failed": "dispatched"}


def test_deadline_constants():
    assert rules.DEFAULT_DEADLINE_HOURS == 72 and rules.EXTEND_MAX_HOURS == 720
    assert rules.DUE_SOON == timedelta(hours=24)
    assert rules.CATEGORY_LEVELS == ("简易", "一般", "突出", "重大")
    assert set(rules.DEADLINE_STATES) <= set(rules.OPEN_STATES)
    assert set(rules.STATE_NAMES) >= {s for t in rules.TRANSITIONS for s in t.sources}
