"""The map at city scale: vector tiles of the grids and server-side clusters of incidents.

A district of 261 grids draws fine from GeoJSON (``/api/v1/grids``, ``/api/v1/coverage/grids``);
a city of 10,000 grids does not (≈ 12 MB of GeoJSON, seconds of drawing). Above
``MAP_TILE_MIN_GRIDS`` grids in the user's scope (a setting, config.py) the map page switches to:

* Mapbox Vector Tiles (MVT 2.1) made by PostGIS (``ST_AsMVT`` / ``ST_AsMVTGeom``) per tile
  z/x/y of the Web Mercator (EPSG:3857) tile pyramid, scoped like every list
  (:func:`gridapp.core.scope.grid_filter`): geometry is clipped to the tile and quantised to
  :data:`EXTENT` units, so a tile weighs what the screen can show, not what the database holds;
* incident clusters counted by the database in square cells of :data:`CLUSTER_PX` screen pixels
  at the requested zoom (below :data:`CLUSTER_MAX_ZOOM`), instead of shipping every point.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, and_, case, cast, exists, func, literal, select

from ..boundaries.areas import scope_bounds, unit_filter
from ..core.errors import BadInput
from ..core.params import bad, choice, integer
from ..core.scope import grid_filter
from ..extensions import db
from ..incidents.queries import search_conditions
from ..models import AdminArea, Grid, Incident, User
from .rules import MIN_WORKERS
from .service import grid_rows

#: MVT tile extent (units per tile side) and buffer (units drawn beyond the edge, so strokes join).
EXTENT, BUFFER = 1024, 16
#: Below this zoom grid tiles are empty (a 600 m grid is under 2 pixels): the map shows the
#: communities and outlines until the user zooms in — a province stays light at zoom-out.
GRID_MIN_ZOOM = 9
#: Highest zoom served; tiles beyond it are refused (the product's maps stop at 19).
MAX_ZOOM = 22
#: Layers of the tile endpoint: name → properties of each feature.
LAYERS = {
    "grids": ("code", "name", "community_code"),
    "coverage": ("code", "name", "workers", "build_type", "members", "status"),
    "communities": ("code", "name", "gridded", "boundary_source"),
}
#: What each property of a layer's features holds (TileJSON ``vector_layers[].fields``).
FIELDS = {"code": "String", "name": "String", "community_code": "String", "workers": "Number",
          "build_type": "String", "members": "Number", "status": "String", "gridded": "Boolean",
          "boundary_source": "String"}
#: TileJSON version of :func:`tilejson`.
TILEJSON_VERSION = "3.0.0"
#: Side of a cluster cell, in screen pixels of 256-pixel tiles.
CLUSTER_PX = 80
#: From this zoom on the incident map draws individual points (≤ 500 per view) instead of clusters.
CLUSTER_MAX_ZOOM = 16


def _tile_envelope(z: int, x: int, y: int):
    """(envelope in EPSG:3857, the same envelope with the buffer in EPSG:4326) of tile z/x/y.
    Raises BadInput outside the pyramid."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise BadInput(_("瓦片编号 %(z)s/%(x)s/%(y)s 超出范围（0 ≤ z ≤ %(max)s，0 ≤ x、y < 2^z）",
                         z=z, x=x, y=y, max=MAX_ZOOM), code="invalid_tile")
    env = func.ST_TileEnvelope(z, x, y)
    # the buffer in degrees: a fraction of the tile's width in longitude (its height in latitude
    # is never larger), so the selection holds every grid the buffered tile can show
    return env, func.ST_Expand(func.ST_Transform(env, 4326), 360.0 / 2 ** z * BUFFER / EXTENT)


def status_sql(workers, group_id):
    """SQL twin of :func:`gridapp.coverage.rules.grid_status` (same rule, evaluated in the tile
    query): no_worker | worker_no_group | covered."""
    return case((func.coalesce(workers, 0) < MIN_WORKERS, literal("no_worker")),
                (group_id.is_not(None), literal("covered")), else_=literal("worker_no_group"))


def grid_tile(user: User, layer: str, z: int, x: int, y: int) -> bytes:
    """One Mapbox Vector Tile (protobuf bytes, possibly empty) of the grids the user may see that
    meet tile z/x/y (Web Mercator tile pyramid), one MVT layer named ``layer``:

    * ``grids``: properties code, name, community_code;
    * ``coverage``: code, name, workers, build_type (single | joint, absent without a live group),
      members, status (no_worker | worker_no_group | covered, as ``/api/v1/coverage/grids``);
    * ``communities``: the community-level units (社区/村) of the user's scope: code, name,
      gridded (has grids), boundary_source.

    Every feature's id is its code as an integer (the codes are digits: 统计用区划代码 + sequence),
    so a client can tell features apart across tiles. Grid layers are empty below :data:`GRID_MIN_ZOOM`.
    Geometry: EPSG:3857 clipped to the tile plus a buffer of :data:`BUFFER` / :data:`EXTENT`,
    quantised to :data:`EXTENT` units per tile side. Raises BadInput for an unknown layer or a
    tile outside the pyramid.
    """
    choice(layer, "layer", LAYERS, _("未知的图层 %(layer)s，可用：%(layers)s", layer=layer, layers=", ".join(LAYERS)))
    env, env_4326 = _tile_envelope(z, x, y)
    if layer != "communities" and z < GRID_MIN_ZOOM:
        return b""
    where = and_(grid_filter(user), Grid.geom.op("&&")(env_4326))
    fid = feature_id(AdminArea.code if layer == "communities" else Grid.code)
    geom = func.ST_AsMVTGeom(func.ST_Transform(Grid.geom, 3857), env, EXTENT, BUFFER, True).label("geom")
    if layer == "communities":
        area_geom = func.ST_AsMVTGeom(func.ST_Transform(AdminArea.geom, 3857), env, EXTENT, BUFFER, True)
        rows = (select(fid, AdminArea.code, AdminArea.name, exists().where(Grid.community_code == AdminArea.code)
                       .label("gridded"), AdminArea.boundary_source, area_geom.label("geom"))
                .where(unit_filter(user), AdminArea.geom.op("&&")(env_4326)))
    elif layer == "grids":
        rows = select(fid, Grid.code, Grid.name, Grid.community_code, geom).where(where)
    else:
        base = grid_rows(where)
        cols = {c.name: c for c in base.selected_columns}
        group = case((cols["build_type"].is_not(None), cols["group_id"]))
        rows = base.with_only_columns(
            feature_id(cols["code"]), cols["code"], cols["name"], cols["workers"], cols["build_type"],
            cols["members"], status_sql(cols["workers"], group).label("status"), geom)
    sub = rows.subquery("t")
    # rows whose geometry vanishes at this zoom (NULL from ST_AsMVTGeom) are skipped by ST_AsMVT;
    # no WHERE on it: the planner would compute ST_AsMVTGeom twice
    mvt = select(func.ST_AsMVT(sub.table_valued(), layer, EXTENT, "geom", "fid"))
    return bytes(db.session.scalar(mvt) or b"")


def feature_id(code):
    """SQL: an MVT feature id (unsigned 64-bit) from a code column — the code as an integer when it
    is 1–18 digits, else none (the feature then has no id)."""
    return case((code.op("~")("^[0-9]{1,18}$"), cast(code, BigInteger))).label("fid")


def tilejson(user: User, layer: str, tiles_url: str) -> dict:
    """The TileJSON 3.0.0 document of one layer of :func:`grid_tile` for the user: ``tiles_url``
    (the absolute URL template, {z}/{x}/{y}), zooms 0–:data:`MAX_ZOOM` (grid layers hold features
    from :data:`GRID_MIN_ZOOM`), ``bounds`` of the user's scope (SRID 4326 degrees; the world
    without one) and ``vector_layers`` [{id, fields, minzoom, maxzoom}]. Raises BadInput for an
    unknown layer."""
    choice(layer, "layer", LAYERS, _("未知的图层 %(layer)s，可用：%(layers)s", layer=layer, layers=", ".join(LAYERS)))
    bounds = scope_bounds(user)
    first = 0 if layer == "communities" else GRID_MIN_ZOOM
    return {"tilejson": TILEJSON_VERSION, "name": layer, "scheme": "xyz", "tiles": [tiles_url],
            "minzoom": 0, "maxzoom": MAX_ZOOM, "bounds": list(bounds) if bounds else [-180, -85.0511, 180, 85.0511],
            "vector_layers": [{"id": layer, "fields": {f: FIELDS[f] for f in LAYERS[layer]},
                               "minzoom": first, "maxzoom": MAX_ZOOM}]}


def cluster_cell(zoom: int) -> float:
    """Side of a cluster cell in degrees at ``zoom``: :data:`CLUSTER_PX` pixels of a 256-pixel
    Web Mercator tile (360° / 2^zoom per tile), the same in lon and lat."""
    return 360.0 / (2 ** zoom) * CLUSTER_PX / 256


def incident_clusters(user: User, args: dict) -> dict:
    """Incidents the user may see, counted per square cell of :func:`cluster_cell` (``args["zoom"]``,
    integer 0–22) inside ``args["bbox"]`` (required: min_lon,min_lat,max_lon,max_lat, SRID 4326),
    with the filters of :func:`gridapp.incidents.workflow.search` (state, category, grid,
    community, overdue, mine, from, to).

    Returns a GeoJSON FeatureCollection: one Point per non-empty cell at the mean lon/lat of its
    incidents, properties {count}; members numberMatched (sum of the counts), zoom, cell_deg.
    Raises BadInput for a missing or malformed bbox or zoom, or a malformed filter.
    """
    if not args.get("bbox"):
        raise bad("bbox", _("缺少 bbox 参数（最小经度,最小纬度,最大经度,最大纬度）"))
    zoom = integer(args.get("zoom"), "zoom", 0, MAX_ZOOM, _("zoom 必须是 0 到 %(max)s 的整数", max=MAX_ZOOM))
    cell = cluster_cell(zoom)
    conds = search_conditions(user, args)
    lon, lat = func.ST_X(Incident.geom), func.ST_Y(Incident.geom)
    cx, cy = cast(func.floor(lon / cell), Integer), cast(func.floor(lat / cell), Integer)
    rows = db.session.execute(select(func.count().label("n"), func.avg(lon).label("lon"), func.avg(lat).label("lat"))
                              .where(*conds).group_by(cx, cy))
    features, total = [], 0
    for r in rows:
        total += r.n
        features.append({"type": "Feature", "geometry": {"type": "Point",
                                                         "coordinates": [round(r.lon, 6), round(r.lat, 6)]},
                         "properties": {"count": r.n}})
    return {"type": "FeatureCollection", "features": features, "numberMatched": total, "zoom": zoom,
            "cell_deg": cell}


def scope_grid_count(user: User) -> int:
    """Number of grids the user may see (decides GeoJSON or vector tiles on the map page)."""
    return db.session.scalar(select(func.count()).select_from(Grid).where(grid_filter(user)))
