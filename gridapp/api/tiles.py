"""API v1: the map at city scale — vector tiles of grids and incident clusters
(:mod:`gridapp.coverage.tiles`)."""
from __future__ import annotations

from flask import Response, jsonify, request, url_for

from ..auth import api_user
from ..coverage import tiles
from . import bp
from .contract import GEOJSON, operation
from .schemas import boundaries as bnd
from .schemas import incidents as inc
from .schemas.common import FeatureCollection

MVT_TYPE = "application/vnd.mapbox-vector-tile"


@bp.get("/tiles/<layer>/<int:z>/<int:x>/<int:y>.pbf")
@operation("areas", None, media=MVT_TYPE)
def grid_tile(layer: str, z: int, x: int, y: int):
    """Mapbox Vector Tile of the caller's grids: ``layer`` = grids | coverage | communities; z/x/y of the Web
    Mercator (EPSG:3857) tile pyramid (XYZ, y from the north), 0 ≤ z ≤ 22.

    200 ``application/vnd.mapbox-vector-tile`` (compressed when accepted; empty body when no grid of the
    caller meets the tile), one MVT layer named like ``layer``, extent 1024: grids → code, name,
    community_code; coverage → code, name, workers, build_type, members, status (as
    /api/v1/coverage/grids); communities → the community-level units of the caller's scope: code,
    name, gridded, boundary_source. Only what is in the caller's scope; 400 for an unknown layer or a tile
    outside the pyramid; 401 without login.
    """
    user = api_user()
    resp = Response(tiles.grid_tile(user, layer, z, x, y), mimetype=MVT_TYPE)
    resp.headers["Cache-Control"] = "private, max-age=60"
    return resp


@bp.get("/tiles/<layer>.json")
@operation("areas", bnd.TileJSON)
def grid_tilejson(layer: str):
    """TileJSON 3.0.0 of a layer of the tile endpoint above (tiles URL template, zooms, the
    caller's scope bounds, vector_layers with their fields); 400 for an unknown layer; 401 without login."""
    user = api_user()
    url = url_for("api.grid_tile", layer=layer, z=0, x=0, y=0, _external=True)
    return jsonify(tiles.tilejson(user, layer, url.replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf")))


@bp.get("/incidents/clusters")
@operation("incidents", FeatureCollection, query=inc.ClusterQuery, media=GEOJSON)
def incident_clusters():
    """Incident clusters for a map view: ``?bbox=min_lon,min_lat,max_lon,max_lat`` (SRID 4326
    degrees) ``&zoom=`` (0–22) and the filters of GET /api/v1/incidents (state, category, grid,
    community, overdue, mine, from, to).

    200 GeoJSON FeatureCollection of Points (mean lon/lat of the cell's incidents), properties
    {count}, cells of 80 screen pixels at that zoom (``cell_deg`` degrees); ``numberMatched`` =
    incidents in the view = sum of the counts. Only incidents the caller may see. 400 for a
    missing or malformed bbox, zoom or filter.
    """
    user = api_user()
    return jsonify(tiles.incident_clusters(user, request.args))
