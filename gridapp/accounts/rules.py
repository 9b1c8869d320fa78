"""The rules of accounts and personal information — the one file to change them.

* Passwords: at least :data:`PASSWORD_MIN_LENGTH` characters.
* Login abuse (issue 18): failed logins are throttled per client address over any usernames
  (:data:`LOGIN_LIMIT_PER_ADDRESS`) and per username and address, tiered so that each further
  failure waits longer (:data:`LOGIN_LIMIT_PER_ACCOUNT`) — the same 429 for a known and an
  unknown username. An account as a whole is locked (for :data:`LOCKOUT_MINUTES`, or until an
  admin unlocks it) only after :data:`ACCOUNT_LOCK_FAILURES` failures from at least
  :data:`ACCOUNT_LOCK_ADDRESSES` addresses within :data:`ACCOUNT_LOCK_WINDOW_MINUTES`: one
  stranger cannot lock anyone out; while locked, a login answers as a wrong password does.
* Personal information (PIPL, 个人信息保护法): phone numbers and ID numbers (:data:`PII_FIELDS`)
  are masked everywhere; only :data:`FULL_VIEW_ROLES` (in scope) may reveal one, and each full view
  is logged. An ID number has 18 characters: 17 digits and a check digit or X (GB 11643); a phone
  number 5–20 digits, + or -.
* The security log's actions (:data:`SECURITY_ACTIONS`).
"""
from __future__ import annotations

PASSWORD_MIN_LENGTH = 10
LOGIN_LIMIT_PER_ADDRESS = "20 per 10 minutes"
LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;10 per hour;20 per day"
ACCOUNT_LOCK_FAILURES = 30
ACCOUNT_LOCK_ADDRESSES = 5
ACCOUNT_LOCK_WINDOW_MINUTES = 60
LOCKOUT_MINUTES = 15
FULL_VIEW_ROLES = ("admin", "secretary")
PII_FIELDS = ("phone", "id_number")
ID_NUMBER_PATTERN = r"^[0-9]{17}[0-9X]$"  # GB 11643: 17 digits + check digit (0-9 or X)
PHONE_PATTERN = r"^[0-9+\-]{5,20}$"
SECURITY_ACTIONS = ("login", "login_failed", "login_throttled", "lockout", "login_locked", "unlock", "logout",
                    "token_revoke", "user_create", "export")
