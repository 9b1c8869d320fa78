"""The reminder rules (no database)."""
from __future__ import annotations

from gridapp.notifications import rules as notification_rules
from gridapp.reminders import rules
from gridapp.reminders.service import CHANNELS


def test_kinds_and_default_channel():
    assert rules.KINDS == ("due_soon", "overdue")
    assert set(rules.KINDS) <= set(notification_rules.KINDS)
    assert rules.DEFAULT_CHANNELS in CHANNELS
