"""The offline base map's tile route (issue 20): a vector MBTiles package (tiles made by PostGIS
from the real district outline) served as stored, gzip and all; 404 outside the preset or package."""
from __future__ import annotations

import gzip
from pathlib import Path

from mbtilesutil import write_mbtiles
from sqlalchemy import text

from gridapp.maps import mbtiles


def _vector_package(tx, path: Path, z: int = 12) -> tuple[int, int, bytes]:
    """One gzipped MVT tile of the district outline (the tile of its point on surface) at zoom ``z``."""
    x, y, tile = tx.execute(text("""
        WITH p AS (SELECT ST_Transform(ST_PointOnSurface(geom), 3857) pt, geom FROM admin_areas WHERE code = '610202'),
             t AS (SELECT floor((ST_X(pt) + 20037508.342789244) / (40075016.68557849 / 2 ^ :z))::int x,
                          floor((20037508.342789244 - ST_Y(pt)) / (40075016.68557849 / 2 ^ :z))::int y, geom FROM p)
        SELECT x, y, (SELECT ST_AsMVT(m, 'district') FROM (SELECT ST_AsMVTGeom(ST_Transform(geom, 3857),
               ST_TileEnvelope(:z, x, y)) geom) m) FROM t"""), {"z": z}).one()
    write_mbtiles(path, {"format": "pbf", "minzoom": str(z), "maxzoom": str(z)},
                  [(z, x, y, gzip.compress(bytes(tile)))])
    return x, y, bytes(tile)


def test_vector_package_served_by_the_app(app, client, login, tx, monkeypatch):
    path = Path(app.instance_path) / "route-test.mbtiles"
    x, y, tile = _vector_package(tx, path)
    assert len(tile) > 100
    assert mbtiles.describe(path)["kind"] == "vector"
    login("district")
    url = f"/basemap/tiles/12/{x}/{y}"
    assert client.get(url).status_code == 404  # the preset is not mbtiles
    monkeypatch.setitem(app.config, "MBTILES_FILE", "route-test.mbtiles")
    monkeypatch.setitem(app.config, "BASEMAP", "mbtiles")
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "application/vnd.mapbox-vector-tile"
    assert resp.headers["Content-Encoding"] == "gzip" and gzip.decompress(resp.data) == tile
    assert client.get(f"/basemap/tiles/12/{x + 1}/{y}").status_code == 404  # not in the package
    page = client.get("/map").text
    assert '"kind": "vector"' in page and "/basemap/tiles/{z}/{x}/{y}" in page and "Leaflet.VectorGrid" in page
    assert "img-src 'self' data:;" in client.get("/map").headers["Content-Security-Policy"]  # served by the app itself
    path.unlink()
