"""The rules of boundaries and their import — the one file to change them.

* Area levels (:data:`AREA_LEVELS`) and the length of their NBS codes (:data:`CODE_LENGTH`,
  统计用区划代码: district 6, township 9, community/village 12; a grid 15 = its community + 3
  digits, so a community has at most :data:`GRID_SEQUENCE_MAX` grids ever); the levels a file may
  be imported at (:data:`IMPORT_LEVELS`) and under which parent (:data:`PARENT_LEVELS`).
* Import: its modes (:data:`IMPORT_MODES`), the width of slivers snapped in repair mode
  (:data:`IMPORT_TOLERANCE_M`, at most :data:`IMPORT_TOLERANCE_MAX_M`), the attribute names tried
  for a feature's code and name (:data:`CODE_FIELDS`, :data:`NAME_FIELDS`) and the columns of an
  incident table (:data:`CATEGORY_HEADERS`, :data:`DESCRIPTION_HEADERS`). The files read:
  boundaries as GeoJSON, a zipped Shapefile or KML (:func:`gridapp.geo.io.read_features`),
  incidents as CSV or Excel (:mod:`gridapp.geo.tables`). The extent outside which imported
  features are refused is a setting (``GRIDAPP_IMPORT_EXTENT``, config.py; default China's).
* Export: its formats (:data:`EXPORT_FORMATS`) and the level's name in the file name
  (:data:`EXPORT_FILE_NAMES`).
* Who may edit grids (:data:`GRID_EDITORS`) and the tables whose rows carry a grid and move with a
  grid edit (:data:`LOCATED_TABLES`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Administrative area levels, top down (a village, 村, is at the community level).
AREA_LEVELS = ("district", "township", "community")
#: The levels of the boundary export (areas and grids).
EXPORT_LEVELS = AREA_LEVELS + ("grid",)
#: What a file may be imported as.
IMPORT_LEVELS = EXPORT_LEVELS + ("incident",)
#: An import is previewed (everything checked, nothing written) or committed.
IMPORT_MODES = ("dry_run", "commit")
#: Digits of each level's code.
CODE_LENGTH = {"district": 6, "township": 9, "community": 12, "grid": 15}
#: Highest grid sequence within a community (the last 3 digits of a grid code): most grids generated at once.
GRID_SEQUENCE_MAX = 999
#: The parent level(s) an import at each level goes under.
PARENT_LEVELS = {"district": (), "township": ("district",), "community": ("township",),
                 "grid": ("community", "township", "district"), "incident": ()}
#: Degrees within which an imported vertex takes the stored geometry's exact vertex (parent outline,
#: staying siblings, the replaced area's own): the rounding of the export (6 decimals ≤ 0.7e-6°).
IMPORT_SNAP_DEG = 1e-6
#: Default width (metres) of the slivers snapped in repair mode, and the largest allowed.
IMPORT_TOLERANCE_M = 2.0
IMPORT_TOLERANCE_MAX_M = 50.0
#: attribute names tried (in order) for a feature's code and name when none is given.
CODE_FIELDS = ("code", "CODE", "Code", "grid_code", "编码", "代码", "区划代码", "网格编码", "网格代码", "adcode")
NAME_FIELDS = ("name", "NAME", "Name", "名称", "网格名称", "社区名称", "村名称", "街道名称")
#: incident table columns (besides the coordinates): category code and description.
CATEGORY_HEADERS = ("category_code", "类别代码", "事件类别代码", "category")
DESCRIPTION_HEADERS = ("description", "描述", "事件描述", "type")

#: Formats of the boundary export: GeoJSON, zipped Shapefile, CSV (WKT), GeoPackage, FlatGeobuf.
EXPORT_FORMATS = ("geojson", "shp", "csv", "gpkg", "fgb")
#: The names of the area levels, wherever a level is shown (reports, exports).
LEVEL_NAMES = {"district": _l("区/县"), "township": _l("街道/镇"), "community": _l("社区/村"), "grid": _l("网格")}
#: An exported CSV's headers.
EXPORT_COLUMNS = {"code": _l("编码"), "name": _l("名称"), "level": _l("层级"), "parent_code": _l("上级编码")}
#: The level's name in an exported file's name.
EXPORT_FILE_NAMES = {"district": _l("区县"), "township": _l("街道乡镇"), "community": _l("社区村"), "grid": _l("网格")}

#: Who may generate, split, merge and reshape grids (in their scope).
GRID_EDITORS = ("admin", "district")
#: Tables of located rows (a grid_code column) that follow their grid when grids change.
LOCATED_TABLES = ("incidents", "disputes", "places")
#: The note of the "moved" history row of a row a grid edit or an import moved (stored text).
MOVE_NOTES = {"grid_edit": "网格编辑 #{id}", "import": "边界导入 #{id}"}

#: The outlines drawn under every map's data (the context of a map without a base map), by level:
#: label (legend), outline colour, weight (pixels), dashes; ``from_zoom``: the outline is drawn from
#: this zoom on; ``label_zooms``: [from, below) the zooms at which each area's name is written.
#: Zoom 12 shows a district of ~20 km across, 14 a community, 16 a 600 m grid (Web Mercator, 35°N).
OUTLINE_LEVELS = {
    "district": {"label": _l("区界"), "color": "#5d4037", "weight": 3, "dashArray": None,
                 "from_zoom": 0, "label_zooms": [0, 11]},
    "township": {"label": _l("街道/镇界"), "color": "#6d4c8a", "weight": 2, "dashArray": "8 4",
                 "from_zoom": 9, "label_zooms": [11, 14]},
    "community": {"label": _l("社区/村界"), "color": "#607d8b", "weight": 1.2, "dashArray": "4 3",
                  "from_zoom": 12, "label_zooms": [14, 16]},
    "grid": {"label": _l("网格边界"), "color": "#90a4ae", "weight": 0.8, "dashArray": None,
             "from_zoom": 14, "label_zooms": [16, 20]},
}


def outline_levels() -> dict:
    """:data:`OUTLINE_LEVELS` as a map's script receives them (labels translated), top level first."""
    return {level: {**style, "label": str(style["label"])} for level, style in OUTLINE_LEVELS.items()}

#: Rows of an incident table checked between two progress reports of an import job (issue 22).
IMPORT_PROGRESS_EVERY = 2000
#: Refused rows kept in an import job's stored report (the count is always whole).
IMPORT_JOB_REFUSED_KEPT = 200
