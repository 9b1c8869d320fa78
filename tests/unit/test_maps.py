"""The maps' common frame (no database): the scale bar is metric only (issue 19/20: a grid worker's
map showed feet and miles)."""
from __future__ import annotations

from gridapp.maps import base_map, render_parts

ASSETS = {"leaflet_js": "/static/vendor/leaflet/leaflet.js", "leaflet_css": "/static/vendor/leaflet/leaflet.css"}


def test_the_scale_bar_is_metric_only():
    script = render_parts(base_map((109.0, 35.0, 109.1, 35.1), ASSETS))["script"]
    assert "L.control.scale({metric: true, imperial: false})" in script
    assert script.count("L.control.scale(") == 1
