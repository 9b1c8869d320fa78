"""The offline base map (preset ``mbtiles``, :mod:`gridapp.maps.basemaps`): tiles of the MBTiles
package in the instance folder, served by the app itself."""
from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app
from flask_login import login_required

from ..maps import mbtiles
from . import bp


@bp.get("/basemap/tiles/<int:z>/<int:x>/<int:y>")
@login_required
def basemap_tile(z: int, x: int, y: int):
    """Tile z/x/y (XYZ, y from the north) of the instance folder's MBTiles package
    (``GRIDAPP_MBTILES``): 200 with the package's media type (vector tiles as stored, with
    ``Content-Encoding: gzip`` when they are gzipped); 404 when the preset is not ``mbtiles``,
    there is no package, or it has no such tile."""
    if current_app.config.get("BASEMAP") != "mbtiles":
        abort(404)
    path = Path(current_app.instance_path) / current_app.config["MBTILES_FILE"]
    package = mbtiles.describe(path)
    data = mbtiles.read_tile(path, z, x, y) if package else None
    if data is None:
        abort(404)
    resp = Response(data, mimetype=package["media_type"])
    if data[:2] == b"\x1f\x8b":
        resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp
