"""The account and personal-information rules (no database)."""
from __future__ import annotations

import re

from gridapp.accounts import rules


def test_lockout_and_password_policy():
    assert (rules.PASSWORD_MIN_LENGTH, rules.LOCKOUT_MINUTES) == (10, 15)
    # one stranger (one address) can never lock an account: the lock needs several addresses
    first_tier = int(rules.LOGIN_LIMIT_PER_ACCOUNT.split()[0])
    assert rules.ACCOUNT_LOCK_ADDRESSES > 1 and rules.ACCOUNT_LOCK_FAILURES > first_tier


def test_id_number_and_phone_forms():
    assert re.match(rules.ID_NUMBER_PATTERN, "61020219000101123X")
    assert not re.match(rules.ID_NUMBER_PATTERN, "6102021900010112")
    assert re.match(rules.PHONE_PATTERN, "+86-10012345678") and not re.match(rules.PHONE_PATTERN, "1234")
    assert set(rules.FULL_VIEW_ROLES) == {"admin", "secretary"}
