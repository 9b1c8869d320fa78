"""The rules of accounts and personal information — the one file to change them.

* Passwords: at least :data:`PASSWORD_MIN_LENGTH` characters; after :data:`MAX_FAILED_LOGINS`
  failed logins an account is locked for :data:`LOCKOUT_MINUTES` minutes.
* Personal information (PIPL, 个人信息保护法): phone numbers and ID numbers (:data:`PII_FIELDS`)
  are masked everywhere; only :data:`FULL_VIEW_ROLES` (in scope) may reveal one, and each full view
  is logged. An ID number has 18 characters: 17 digits and a check digit or X (GB 11643); a phone
  number 5–20 digits, + or -.
* The security log's actions (:data:`SECURITY_ACTIONS`).
"""
from __future__ import annotations

PASSWORD_MIN_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
FULL_VIEW_ROLES = ("admin", "secretary")
PII_FIELDS = ("phone", "id_number")
ID_NUMBER_PATTERN = r"^[0-9]{17}[0-9X]$"  # GB 11643: 17 digits + check digit (0-9 or X)
PHONE_PATTERN = r"^[0-9+\-]{5,20}$"
SECURITY_ACTIONS = ("login", "login_failed", "lockout", "login_locked", "unlock", "logout", "token_revoke",
                    "user_create", "export")
