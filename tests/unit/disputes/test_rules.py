"""The dispute rules: routing by difficulty and the deadline (no database)."""
from __future__ import annotations

from gridapp.core.roles import RANK
from gridapp.disputes import rules


def test_routing_by_difficulty_raises_the_handling_level():
    assert rules.HANDLING_ROLE == {"simple": "secretary", "complex": "township", "hard": "district"}
    ranks = [RANK[rules.HANDLING_ROLE[d]] for d in rules.DIFFICULTIES]
    assert ranks == sorted(ranks) == [2, 3, 4]


def test_deadline_and_extension():
    assert rules.DEADLINE_DAYS == 30 and rules.EXTEND_MAX_DAYS == 90
    extend = next(t for t in rules.TRANSITIONS if t.action == "extend")
    assert extend.approval and extend.needs == "days" and extend.sources == rules.OPEN_STATES


def test_every_state_has_a_name():
    assert set(rules.STATE_NAMES) == set(rules.DISPUTE_STATES)
