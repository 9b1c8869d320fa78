"""Roles: the area level each role's scope is, and the ranks that decide approvals (no queries).

The scope rule built on :data:`SCOPE_LEVEL` is :mod:`gridapp.core.scope`; approvals by rank are
:mod:`gridapp.core.casework`.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: The roles' names as the pages and refusals show them.
ROLE_NAMES = {"admin": _l("系统管理员"), "district": _l("区级"), "township": _l("街道/镇"),
              "secretary": _l("社区书记"), "worker": _l("网格员"), "handler": _l("承办人")}

#: The area level of each role's scope (admin: everywhere; a handler 承办人 has none: they act on the
#: cases dispatched to them or their department). THE scope rule.
SCOPE_LEVEL = {"district": "district", "township": "township", "secretary": "community", "worker": "grid"}
#: Ranks of the roles: a request for approval is decided by a higher rank (gridapp.core.casework).
RANK = {"worker": 1, "handler": 1, "secretary": 2, "township": 3, "district": 4, "admin": 5}
#: The office roles (not grid workers): they accept, file, dispatch and approve.
OFFICE = ("secretary", "township", "district", "admin")
#: Roles without an office: no area figures, coverage or party-organisation pages.
FIELD_ROLES = ("worker", "handler")


def office_rank(kinds) -> int:
    """The highest rank among the office roles in ``kinds`` (0 when none)."""
    return max((RANK[k] for k in kinds if k in OFFICE), default=0)
