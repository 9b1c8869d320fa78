"""The rules of the party organisation in the grid (党建引领网格) — the one file to change them.

Three levels (domain.md): the community party organisation (社区党组织, :data:`ORG_KINDS`) → grid
party groups (网格党小组, single-built 单建 or joint-built 联建 with partners, :data:`BUILD_TYPES`,
:data:`PARTNER_TYPES`) → party members (党员, :data:`MEMBER_KINDS` and :data:`MEMBER_ROLES`). Grid
workers (网格员, :data:`WORKER_KINDS`) staff the grids. Who may read and change them:
:data:`ORG_ROLES` within their scope (:mod:`gridapp.org.access`). The database's CHECK
constraints read these values here.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Roles that read and change the organisation of their area (grid workers do not).
ORG_ROLES = ("admin", "district", "township", "secretary")
ORG_KINDS = ("committee", "general_branch", "branch")  # 党委, 党总支, 党支部
BUILD_TYPES = ("single", "joint")  # 单建, 联建
PARTNER_TYPES = ("stationed_unit", "compound", "building", "social_org")  # 驻区单位, 居民小区, 商务楼宇, 社会组织
MEMBER_KINDS = ("resident", "in_service", "social_org", "volunteer")  # 居民党员, 在职党员, 社会组织党员, 党员志愿者
MEMBER_ROLES = ("leader", "member")  # 党小组长, 党员
WORKER_KINDS = ("full_time", "part_time")  # 专职, 兼职
#: Star rating (评星晋级): lowest and highest number of stars.
STARS = (1, 5)
#: Columns of a member and a worker in the API and the exports (personal fields are added masked).
MEMBER_FIELDS = ("id", "community_code", "group_id", "grid_code", "name", "kind", "role", "home_unit",
                 "reported_on")
WORKER_FIELDS = ("id", "community_code", "name", "kind", "user_id")

BUILD_TYPE_NAMES = {"single": _l("单建"), "joint": _l("联建")}
MEMBER_KIND_NAMES = {"resident": _l("居民党员"), "in_service": _l("在职党员"), "social_org": _l("社会组织党员"),
                     "volunteer": _l("党员志愿者")}
MEMBER_ROLE_NAMES = {"leader": _l("党小组长"), "member": _l("党员")}
WORKER_KIND_NAMES = {"full_time": _l("专职"), "part_time": _l("兼职")}
PARTNER_TYPE_NAMES = {"stationed_unit": _l("驻区单位"), "compound": _l("居民小区"), "building": _l("商务楼宇"),
                      "social_org": _l("社会组织")}
