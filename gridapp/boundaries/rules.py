"""The rules of boundaries and their import — the one file to change them.

* Area levels (:data:`AREA_LEVELS`) and the length of their NBS codes (:data:`CODE_LENGTH`,
  统计用区划代码: district 6, township 9, community/village 12; a grid 15 = its community + 3);
  the levels a file may be imported at (:data:`IMPORT_LEVELS`) and under which parent
  (:data:`PARENT_LEVELS`).
* The attribute names tried for a feature's code and name (:data:`CODE_FIELDS`,
  :data:`NAME_FIELDS`) and the columns of an incident table (:data:`CATEGORY_HEADERS`,
  :data:`DESCRIPTION_HEADERS`).
* The tables whose rows carry a grid and move with a grid edit (:data:`LOCATED_TABLES`).
"""
from __future__ import annotations

#: Administrative area levels, top down (a village, 村, is at the community level).
AREA_LEVELS = ("district", "township", "community")
#: The levels of the boundary export (areas and grids).
EXPORT_LEVELS = AREA_LEVELS + ("grid",)
#: What a file may be imported as.
IMPORT_LEVELS = EXPORT_LEVELS + ("incident",)
MODES = ("dry_run", "commit")
CODE_LENGTH = {"district": 6, "township": 9, "community": 12, "grid": 15}
PARENT_LEVELS = {"district": (), "township": ("district",), "community": ("township",),
                 "grid": ("community", "township", "district"), "incident": ()}
#: attribute names tried (in order) for a feature's code and name when none is given.
CODE_FIELDS = ("code", "CODE", "Code", "grid_code", "编码", "代码", "区划代码", "网格编码", "网格代码", "adcode")
NAME_FIELDS = ("name", "NAME", "Name", "名称", "网格名称", "社区名称", "村名称", "街道名称")
#: incident table columns (besides the coordinates): category code and description.
CATEGORY_HEADERS = ("category_code", "类别代码", "事件类别代码", "category")
DESCRIPTION_HEADERS = ("description", "描述", "事件描述", "type")


#: Who may generate, split, merge and reshape grids (in their scope).
GRID_EDITORS = ("admin", "district")
#: Tables of located rows (a grid_code column) that follow their grid when grids change.
LOCATED_TABLES = ("incidents", "disputes", "places")
