"""The reminder rules (no database)."""
from __future__ import annotations

from gridapp.reminders import rules
from gridapp.reminders.service import CHANNELS


def test_kinds_and_default_channel():
    assert rules.KINDS == ("assigned", "due_soon", "overdue", "returned", "approval")
    assert rules.DEFAULT_CHANNELS in CHANNELS
