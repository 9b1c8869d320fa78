"""Front-end assets served by the app itself (no CDN): Leaflet and Leaflet.markercluster from
their xstatic packages, under ``/static/vendor/<package>/<file>``."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory, url_for
from xstatic.pkg import leaflet, leaflet_markercluster

PACKAGES = {"leaflet": leaflet.BASE_DIR, "leaflet.markercluster": leaflet_markercluster.BASE_DIR}
# npm packages vendored with their licences (gridapp/vendor/manifest.json; ``make vendor`` refreshes)
NPM_VENDOR = Path(__file__).resolve().parent / "vendor"
PACKAGES["leaflet.heat"] = str(NPM_VENDOR / "leaflet.heat")
PACKAGES["echarts"] = str(NPM_VENDOR / "echarts")
PACKAGES["leaflet.vectorgrid"] = str(NPM_VENDOR / "leaflet.vectorgrid")
# the phone (issue 19): the service worker's Workbox modules (one folder), IndexedDB, EXIF
for _name in ("workbox", "idb", "exifr"):
    PACKAGES[_name] = str(NPM_VENDOR / _name)

bp = Blueprint("vendor", __name__, url_prefix="/static/vendor")


@bp.route("/<package>/<path:filename>")
def vendor_file(package: str, filename: str):
    """Serve one file of a vendored front-end package (404 for an unknown package or file)."""
    base = PACKAGES.get(package)
    if base is None:
        abort(404)
    return send_from_directory(base, filename, max_age=86400)


def vendor_url(package: str, filename: str) -> str:
    """URL of a vendored asset."""
    return url_for("vendor.vendor_file", package=package, filename=filename)


def init_app(app: Flask) -> None:
    """Register the vendor blueprint."""
    app.register_blueprint(bp)
