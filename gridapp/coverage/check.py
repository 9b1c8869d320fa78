"""Coverage check of a community, township or district: are its communities tiled by their grids?

Problems (computed in PostGIS). Areas are measured in the plane of the stored lon/lat coordinates
and converted to m² with the community's own ratio of equal-area (EPSG:6933) m² to planar degree²
— the rule of :func:`gridapp.geo.tiling_errors`, which the edits check with — because the edges are
straight in lon/lat: a grid edge that follows the community's outline with a vertex noded onto it
leaves a difference of no area in that plane, while reprojecting the difference first bends its
edges (EPSG:6933's northing is not linear in latitude) and invents slivers of several m² (issue 24:
a generated 常家河村 showed a "10.9 m² gap"); ``ST_Area(geography)`` would measure tens of m²
between a straight lon/lat edge and the geodesic through the same points:

* **gap** — part of a gridded community covered by none of its grids;
* **overlap** — part shared by two grids of the same community;
* **outside** — part of a grid outside its community;
* **ungridded** — a community-level unit without grids (villages, 村, are usually ungridded by
  design; they are listed with their unit type).

Pieces smaller than :data:`gridapp.geo.validate.NOISE_M2` are floating-point noise and not listed.
Their labels and colours on the check's map: :data:`gridapp.coverage.rules.CHECK_PROBLEMS`.
Access: admin anywhere; district, township and secretary users within their scope
(:func:`gridapp.core.scope.contains`); grid workers not at all.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import text

from ..boundaries.areas import own_area_code
from ..core.errors import Forbidden, NotFound
from ..core.roles import FIELD_ROLES, ROLE_NAMES
from ..core.scope import area_location, contains
from ..extensions import db
from ..geo.validate import NOISE_M2
from ..models import AdminArea, User
from .rules import CHECK_PROBLEMS

_PROBLEMS = """
WITH c AS (SELECT code, name, geom FROM admin_areas WHERE level = 'community' AND code LIKE :prefix),
scale AS (SELECT code, ST_Area(ST_Transform(geom, 6933)) / NULLIF(ST_Area(geom), 0) AS m2_per_deg2 FROM c),
gap_p AS (
  SELECT 'gap' AS kind, c.code AS community_code, NULL::text AS grid_a, NULL::text AS grid_b,
         ST_CollectionExtract(ST_Difference(c.geom, u.geom), 3) AS geom
  FROM c JOIN LATERAL (SELECT ST_Union(geom) AS geom FROM grids g WHERE g.community_code = c.code) u
       ON u.geom IS NOT NULL),
overlap_p AS (
  SELECT 'overlap', a.community_code, a.code, b.code, ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)
  FROM grids a JOIN grids b ON a.community_code = b.community_code AND a.code < b.code
       AND ST_Intersects(a.geom, b.geom)
  WHERE a.community_code LIKE :prefix),
outside_p AS (
  SELECT 'outside', g.community_code, g.code, NULL, ST_CollectionExtract(ST_Difference(g.geom, c.geom), 3)
  FROM grids g JOIN c ON c.code = g.community_code)
SELECT kind, community_code, grid_a, grid_b, ST_Area(geom) * s.m2_per_deg2 AS area_m2,
       ST_AsGeoJSON(ST_ForcePolygonCCW(geom), 7)::jsonb AS geometry
FROM (SELECT * FROM gap_p UNION ALL SELECT * FROM overlap_p UNION ALL SELECT * FROM outside_p) p
JOIN scale s ON s.code = p.community_code
WHERE NOT ST_IsEmpty(geom) AND ST_Area(geom) * s.m2_per_deg2 > :noise
ORDER BY kind, community_code, grid_a NULLS FIRST, grid_b NULLS FIRST
"""

_UNGRIDDED = """
SELECT code, name, unit_type, ST_AsGeoJSON(ST_ForcePolygonCCW(geom), 7)::jsonb AS geometry
FROM admin_areas a
WHERE level = 'community' AND code LIKE :prefix
  AND NOT EXISTS (SELECT 1 FROM grids g WHERE g.community_code = a.code)
ORDER BY code
"""


def _area(user: User, code: str | None) -> AdminArea:
    if user.role in FIELD_ROLES:
        raise Forbidden(_("%(role)s无权查看覆盖检查", role=ROLE_NAMES[user.role]), code="forbidden")
    code = code or own_area_code(user)
    area = db.session.get(AdminArea, code) if code else None
    if area is None:
        raise NotFound(_("辖区 %(code)s 不存在", code=code), code="no_such_area")
    if not contains(user, area_location(area)):
        raise Forbidden(_("%(code)s 不在您的管辖范围内", code=area.code), code="outside_scope")
    return area


def coverage_report(user: User, code: str | None = None) -> dict:
    """Coverage problems of the area ``code`` (a district, township or community; default the
    user's scope). Returns {"code", "name", "level", "communities", "gridded",
    "problems": {"gap": n, "overlap": n, "outside": n, "ungridded": n},
    "features": GeoJSON FeatureCollection of the problems (properties kind, community_code,
    grid_a, grid_b, area_m2, name, unit_type)}. Raises Forbidden, NotFound."""
    area = _area(user, code)
    prefix = area.code + "%"
    rows = db.session.execute(text(_PROBLEMS), {"prefix": prefix, "noise": NOISE_M2}).all()
    ungridded = db.session.execute(text(_UNGRIDDED), {"prefix": prefix}).all()
    communities = db.session.scalar(text("SELECT count(*) FROM admin_areas WHERE level = 'community' "
                                         "AND code LIKE :prefix"), {"prefix": prefix})
    features = [{"type": "Feature", "geometry": r.geometry,
                 "properties": {"kind": r.kind, "community_code": r.community_code, "grid_a": r.grid_a,
                                "grid_b": r.grid_b, "area_m2": round(float(r.area_m2), 2)}} for r in rows]
    features += [{"type": "Feature", "geometry": r.geometry,
                  "properties": {"kind": "ungridded", "community_code": r.code, "name": r.name,
                                 "unit_type": r.unit_type, "area_m2": None}} for r in ungridded]
    counts = {k: sum(f["properties"]["kind"] == k for f in features) for k in CHECK_PROBLEMS}
    return {"code": area.code, "name": area.name, "level": area.level, "communities": communities,
            "gridded": communities - len(ungridded), "problems": counts,
            "features": {"type": "FeatureCollection", "features": features}}
