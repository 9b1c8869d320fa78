"""Benchmark: the coverage map of a city (10,000 grids) on first view, product vs folium baseline.

``run(database_url) -> dict`` (called by bench/run.py) and a CLI
(``python bench/map.py --database-url URL [--json]``).

Against a database holding the city (bench/city.py: the district with the most grids), one
werkzeug server (threaded, 127.0.0.1) serves both sides, and Debian chromium (Playwright, as
tests/browser) opens each page with an empty cache, logged in as a district user of the city:

* product: ``/map`` (grids from vector tiles when the scope has ≥ 2,000 grids, areas as GeoJSON,
  incidents as server clusters);
* baseline: a folium map with the GeoJSON of every grid of the city embedded (``folium.GeoJson`` of
  the same FeatureCollection as ``/api/v1/grids``), Leaflet from the same server.

Definitions (same for both sides):

* **bytes**: sum of the encoded (on-the-wire, after gzip) body sizes of every response of the page
  load (document, scripts, styles, API calls, tiles: CDP ``Network.loadingFinished``
  ``encodedDataLength``), counted until the page is drawn and the network is idle;
* **drawn**: ``performance.now()`` (ms since navigation start) two animation frames after the grid
  layer finished rendering — product: the coverage tile layer's ``load`` event (every tile of the
  first view drawn on its canvas) after the areas are drawn; baseline: the end of folium's map
  script, which draws the GeoJSON synchronously.

Each side is measured ``repeat`` times (fresh browser context) and the median reported; ratios are
product / baseline (targets of issue 9: bytes ≤ 0.1, time ≤ 0.5). The incident map at zoom-out
(``/cases/map``, server clusters) is measured the same way, without a target.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_USER = "bench-map-district"
VIEWPORT = {"width": 1280, "height": 800}
DRAWN_JS = ("<script>requestAnimationFrame(function () { requestAnimationFrame(function () {"
            " window.benchDrawnMs = performance.now(); }); });</script>")


def _city_district(db, select, func, Grid) -> str:
    """Code of the district with the most grids (the city)."""
    return db.session.execute(select(Grid.district_code).group_by(Grid.district_code)
                              .order_by(func.count().desc()).limit(1)).scalar_one()


def _prepare(app) -> tuple[str, str, int, int]:
    """Make the bench user (district role over the city) and return (district, password, grids, incidents)."""
    from sqlalchemy import func, select

    from gridapp.accounts.service import hash_password
    from gridapp.extensions import db
    from gridapp.models import Grid, Incident, User

    password = "Bench-" + secrets.token_urlsafe(12)
    with app.app_context():
        district = _city_district(db, select, func, Grid)
        user = db.session.scalar(select(User).where(User.username == BENCH_USER))
        if user is None:
            user = User(username=BENCH_USER, display_name="基准测试用户（虚构）", role="district")
            db.session.add(user)
        user.scope_code, user.active, user.password_hash = district, True, hash_password(password)
        user.failed_logins, user.locked_until = 0, None
        db.session.commit()
        grids = db.session.scalar(select(func.count()).select_from(Grid).where(Grid.district_code == district))
        incidents = db.session.scalar(select(func.count()).select_from(Incident)
                                      .where(Incident.district_code == district))
    return district, password, grids, incidents


def _baseline_route(app) -> None:
    """GET /bench/folium-grids: the baseline page (folium, full GeoJSON embedded); bench only."""
    import folium
    from flask import Response
    from flask_login import current_user, login_required

    from gridapp.assets import vendor_url
    from gridapp.boundaries import areas
    from gridapp.maps import base_map

    @app.get("/bench/folium-grids")
    @login_required
    def bench_folium_grids():
        bounds = areas.scope_bounds(current_user)
        m = base_map(bounds, {"leaflet_js": vendor_url("leaflet", "leaflet.js"),
                              "leaflet_css": vendor_url("leaflet", "leaflet.css")})
        folium.GeoJson(areas.grids_collection(current_user),
                       style_function=lambda f: {"color": "#1f5fa8", "weight": 1, "fillOpacity": 0.05},
                       tooltip=folium.GeoJsonTooltip(fields=["name", "code"])).add_to(m)
        html = m.get_root().render().replace("</html>", DRAWN_JS + "</html>")
        resp = Response(html, mimetype="text/html")
        # folium's page is inline script: its own policy, still nothing but this site
        resp.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                                   "style-src 'self' 'unsafe-inline'; img-src 'self' data:")
        return resp


def _measure(browser, base: str, password: str, path: str, drawn_js: str) -> dict:
    """Open ``path`` once in a fresh context (logged in first, not counted): bytes, drawn ms, errors."""
    # service workers blocked: the app's worker (/sw.js, the phone's offline cache) would answer from
    # its cache, and what crosses the network on a first view is what is measured
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  service_workers="block")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login")
    page.fill("input[name=username]", BENCH_USER)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, float] = {}
    urls: dict[str, str] = {}
    timing: dict[str, float] = {}
    cdp.on("Network.requestWillBeSent", lambda ev: (urls.__setitem__(ev["requestId"], ev["request"]["url"]),
                                                    timing.__setitem__(ev["requestId"], ev["timestamp"])))
    cdp.on("Network.loadingFinished", lambda ev: (sizes.__setitem__(ev["requestId"], ev["encodedDataLength"]),
                                                  timing.__setitem__(ev["requestId"],
                                                                     ev["timestamp"] - timing.get(ev["requestId"], 0))))
    page.goto(base + path, wait_until="commit")
    page.wait_for_function(f"() => ({drawn_js}) || (window.gridappMap && window.gridappMap.error)", timeout=120000)
    drawn = page.evaluate(f"() => {drawn_js}")
    page.wait_for_load_state("networkidle")
    extra = page.evaluate("() => window.gridappMap ? JSON.stringify(window.gridappMap) : null")
    context.close()
    if not drawn:
        raise RuntimeError(f"{path}: not drawn: {extra} {errors}")
    largest = sorted(sizes, key=sizes.get, reverse=True)[:6]
    return {"bytes": int(sum(sizes.values())), "requests": len(sizes), "drawn_ms": round(drawn, 1),
            "errors": errors, "state": json.loads(extra) if extra else None,
            "largest": [{"url": urls.get(r, "?").removeprefix(base), "bytes": int(sizes[r]),
                         "ms": round(timing.get(r, 0) * 1000, 1)} for r in largest]}


def _median(runs: list[dict]) -> dict:
    return {"bytes": int(statistics.median(r["bytes"] for r in runs)),
            "drawn_ms": round(statistics.median(r["drawn_ms"] for r in runs), 1),
            "requests": runs[0]["requests"], "runs_ms": [r["drawn_ms"] for r in runs],
            "errors": sorted({e for r in runs for e in r["errors"]}), "largest": runs[-1]["largest"]}


def run(database_url: str, repeat: int = 3) -> dict:
    """Measure the coverage map (product vs folium baseline) and the incident map at zoom-out on the
    city in ``database_url``. Returns {"grids", "incidents", "product": {bytes, drawn_ms, ...},
    "baseline": {...}, "ratio_bytes", "ratio_time" (of the medians), "ratio_time_pairs" (per
    interleaved run), "targets": {...}, "met": bool,
    "incident_map": {bytes, drawn_ms, ...}} (bytes; ms since navigation start)."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from gridapp import create_app, provision

    os.environ["DATABASE_URL"] = database_url
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    district, password, grids, incidents = _prepare(app)
    _baseline_route(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=provision.ensure_chromium(),
                                         args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            product_js = "window.gridappMap && window.gridappMap.drawn_ms"
            # warm the database and the server once per page (not counted)
            _measure(browser, base, password, "/map", product_js)
            _measure(browser, base, password, "/bench/folium-grids", "window.benchDrawnMs")
            product, baseline, cases = [], [], []
            for _ in range(repeat):  # interleaved, so both sides see the same machine load
                product.append(_measure(browser, base, password, "/map", product_js))
                baseline.append(_measure(browser, base, password, "/bench/folium-grids", "window.benchDrawnMs"))
                if incidents:
                    cases.append(_measure(browser, base, password, "/cases/map", product_js))
            browser.close()
    finally:
        server.shutdown()
    p, b = _median(product), _median(baseline)
    result = {"district": district, "grids": grids, "incidents": incidents, "repeat": repeat,
              "product": p, "baseline": b,
              "ratio_bytes": round(p["bytes"] / b["bytes"], 4), "ratio_time": round(p["drawn_ms"] / b["drawn_ms"], 3),
              "targets": {"ratio_bytes": 0.1, "ratio_time": 0.5}}
    # the machine may be shared: each product run is paired with the baseline run right after it
    result["ratio_time_pairs"] = [round(x["drawn_ms"] / y["drawn_ms"], 3)
                                  for x, y in zip(product, baseline, strict=True)]
    result["met"] = result["ratio_bytes"] <= 0.1 and result["ratio_time"] <= 0.5
    if cases:
        result["incident_map"] = _median(cases) | {"clusters": cases[-1]["state"].get("clusters")}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is required")
    print(json.dumps(run(args.database_url, args.repeat), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
