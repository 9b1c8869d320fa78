"""The party-organisation rules (no database)."""
from __future__ import annotations

from gridapp.models.org import GridPartyGroup
from gridapp.org import rules


def test_kinds_and_roles_are_the_domain_terms():
    assert rules.BUILD_TYPES == ("single", "joint")
    assert rules.MEMBER_KINDS == ("resident", "in_service", "social_org", "volunteer")
    assert rules.WORKER_KINDS == ("full_time", "part_time") and rules.STARS == (1, 5)
    assert "worker" not in rules.ORG_ROLES and set(rules.ORG_ROLES) == {"admin", "district", "township", "secretary"}


def test_the_database_constraint_reads_the_rule():
    constraint = next(c for c in GridPartyGroup.__table__.constraints if c.name == "ck_grid_party_groups_build_type")
    assert str(constraint.sqltext) == "build_type IN ('single', 'joint')"


def test_personal_fields_are_not_among_the_plain_columns():
    assert not {"phone", "id_number"} & set(rules.MEMBER_FIELDS + rules.WORKER_FIELDS)
