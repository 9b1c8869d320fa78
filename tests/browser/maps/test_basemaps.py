"""Base-map presets in Chromium (issue 20): 天地图 from t0–t7 (a local server stands in for its hosts)
with no CSP violation; an offline MBTiles package served by the app and painted; AMap's GCJ-02
shift — a grid corner clicked on screen maps back to its WGS84 coordinates within 1 m."""
from __future__ import annotations

import io
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from conftest import CHROMIUM_ARGS, login  # tests/browser is on sys.path (pyproject: pythonpath)
from mbtilesutil import write_mbtiles
from PIL import Image, ImageDraw

from gridapp import provision
from gridapp.geo.gcj02 import wgs84_to_gcj02_xy

pytestmark = pytest.mark.browser
GEODATA = Path(__file__).resolve().parents[3] / "geodata"
CSP_LISTENER = """window.__csp = []; document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def _png(colour=(200, 220, 240, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (256, 256), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def fake_tianditu():
    """A local HTTP server answering every tile request with a PNG; records (Host, path)."""
    seen, tile = [], _png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            seen.append((self.headers["Host"], self.path))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, seen
    server.shutdown()


def test_tianditu_tiles_of_both_layers_from_t0_to_t7_without_csp_violations(live_server, browser, app,
                                                                           fake_tianditu, monkeypatch):
    port, seen = fake_tianditu
    for key, value in {"BASEMAP": "tianditu", "TIANDITU_KEY": "testkey", "TIANDITU_LAYER": "vec",
                       "TIANDITU_ROOT": f"http://t{{s}}.tianditu.gov.cn:{port}"}.items():
        monkeypatch.setitem(app.config, key, value)
    # the hosts t0–t7.tianditu.gov.cn resolve to this machine: the fake server stands in for them
    chromium = browser.browser_type.launch(executable_path=provision.ensure_chromium(), args=CHROMIUM_ARGS + [
        "--host-resolver-rules=MAP t*.tianditu.gov.cn 127.0.0.1"])
    try:
        page = chromium.new_context(locale="zh-CN").new_page()
        errors, hosts = [], set()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
        page.add_init_script(CSP_LISTENER)
        login(page, live_server, "district", "/cases/map")
        page.wait_for_function("() => window.gridappBase && window.gridappBase.loaded >= 8")
        csp = page.evaluate("window.__csp")
        assert csp == [] and errors == []
        assert page.evaluate("window.gridappBase.failed") is None
    finally:
        chromium.close()
    layers = {p.split("LAYER=")[1].split("&")[0] for _h, p in seen}
    assert layers == {"vec", "cva"} and all("tk=testkey" in p for _h, p in seen)
    t0_t7 = {f"t{i}.tianditu.gov.cn:{port}" for i in range(8)}
    tile_hosts = {h for h, _p in seen}
    assert len(tile_hosts) >= 2 and tile_hosts <= t0_t7
    assert hosts <= t0_t7 | {live_server.split("/")[2]}  # (a tile left behind by a zoom may be asked, not sent)


def _tile_range(bounds, z):
    def xy(lon, lat):
        n = 2 ** z
        return (int((lon + 180) / 360 * n),
                int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))
    (x0, y0), (x1, y1) = xy(bounds[0], bounds[3]), xy(bounds[2], bounds[1])
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def build_mbtiles(path: Path, zooms=(11, 12, 13)) -> tuple[list, int]:
    """A raster MBTiles package of the real district outline (geodata/wangyi/wangyi_district.geojson,
    WGS84): 256-pixel PNG tiles drawing its boundary in red, every tile of its bounds at ``zooms``.
    Returns (bounds, number of tiles)."""
    geometry = json.loads((GEODATA / "wangyi" / "wangyi_district.geojson").read_text("utf-8"))
    geometry = geometry["features"][0]["geometry"] if geometry.get("type") == "FeatureCollection" else geometry
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    ring = np.array(polygons[0][0])
    bounds = [float(ring[:, 0].min()), float(ring[:, 1].min()), float(ring[:, 0].max()), float(ring[:, 1].max())]
    metadata = {"name": "王益区 outline (test)", "format": "png", "minzoom": str(min(zooms)),
                "maxzoom": str(max(zooms)), "bounds": ",".join(map(str, bounds)), "attribution": "test package"}

    def tiles():
        for z in zooms:
            n = 2 ** z
            px = (ring[:, 0] + 180) / 360 * n * 256
            py = (1 - np.arcsinh(np.tan(np.radians(ring[:, 1]))) / math.pi) / 2 * n * 256
            for x, y in _tile_range(bounds, z):
                image = Image.new("RGBA", (256, 256), (245, 240, 230, 255))
                ImageDraw.Draw(image).line(list(zip(px - x * 256, py - y * 256, strict=True)),
                                           fill=(200, 0, 0, 255), width=3)
                out = io.BytesIO()
                image.save(out, "PNG")
                yield z, x, y, out.getvalue()

    count = write_mbtiles(path, metadata, tiles())
    return bounds, count


def test_mbtiles_package_served_by_the_app_and_painted_offline(live_server, offline_page, app, monkeypatch):
    build_mbtiles(Path(app.instance_path) / "browser-test.mbtiles")
    monkeypatch.setitem(app.config, "BASEMAP", "mbtiles")
    monkeypatch.setitem(app.config, "MBTILES_FILE", "browser-test.mbtiles")
    page, served = offline_page.page, []
    page.on("response", lambda r: "/basemap/tiles/" in r.url and served.append((r.status, r.headers["content-type"])))
    login(page, live_server, "district", "/dashboard")
    page.wait_for_function("() => window.gridappBase && window.gridappBase.loaded >= 1")
    page.wait_for_load_state("networkidle")
    painted = page.evaluate("""() => [...document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile')]
      .filter(i => i.complete && i.naturalWidth === 256 && i.src.includes('/basemap/tiles/')).length""")
    assert painted >= 1 and served and all(s == (200, "image/png") for s in served)
    assert offline_page.errors == [] and offline_page.aborted == []


def test_amap_shifts_the_data_to_gcj02_and_clicks_back_to_wgs84(live_server, offline_page, app, monkeypatch):
    from sqlalchemy import func, select

    from gridapp.extensions import db
    from gridapp.models import Grid

    monkeypatch.setitem(app.config, "BASEMAP", "amap")
    with app.app_context():  # a corner of the worker's grid (WGS84, as stored)
        ring = db.session.scalar(select(func.ST_AsGeoJSON(func.ST_ExteriorRing(func.ST_GeometryN(Grid.geom, 1))))
                                 .where(Grid.code == "610202002010001"))
        db.session.remove()
    lon, lat = json.loads(ring)["coordinates"][0]
    (glon, glat), = wgs84_to_gcj02_xy(np.array([[lon, lat]]))  # the project's transform
    page = offline_page.page
    page.route("**/*.is.autonavi.com/**", lambda route: route.fulfill(body=_png((230, 230, 210, 255)),
                                                                       content_type="image/png"))
    login(page, live_server, "worker", "/incidents/new")
    page.wait_for_function("() => window.gridappMap && window.gridappMap.ready && window.gridappBase")
    where = page.evaluate("""([lon, lat, glon, glat]) => {
      const map = Object.values(window).find(v => v instanceof L.Map);
      map.setView([lat, lon], 19, {animate: false});
      // the GCJ-02 place on AMap's Web Mercator tiles, from the Python transform
      const tilePoint = L.CRS.EPSG3857.latLngToPoint(L.latLng(glat, glon), 19).subtract(map.getPixelOrigin());
      const expected = map.layerPointToContainerPoint(tilePoint);
      const drawn = map.latLngToContainerPoint([lat, lon]);  // where the app draws the WGS84 corner
      const box = map.getContainer().getBoundingClientRect();
      return {crs: map.options.crs.code, expected: [expected.x, expected.y], drawn: [drawn.x, drawn.y],
              page: [box.left + expected.x, box.top + expected.y]};
    }""", [lon, lat, glon, glat])
    assert where["crs"] == "GRIDAPP:GCJ02"
    assert math.dist(where["expected"], where["drawn"]) < 0.5  # display: WGS84 → GCJ-02 as gcj02.py (pixels)
    page.mouse.click(*where["page"])
    picked = (float(page.input_value("#lon")), float(page.input_value("#lat")))
    metres = math.dist(((picked[0] - lon) * 111320 * math.cos(math.radians(lat)), (picked[1] - lat) * 110540), (0, 0))
    assert metres < 1.0, (picked, (lon, lat))  # the click: GCJ-02 screen → WGS84
    assert offline_page.errors == [] and offline_page.aborted == []
