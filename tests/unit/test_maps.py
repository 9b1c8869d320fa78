"""The maps' common frame (no database): the scale bar is metric only (issue 19/20: a grid worker's
map showed feet and miles)."""
from __future__ import annotations

from gridapp.maps import base_map, render_parts

ASSETS = {"leaflet_js": "/static/vendor/leaflet/leaflet.js", "leaflet_css": "/static/vendor/leaflet/leaflet.css"}


def test_the_scale_bar_is_metric_only():
    script = render_parts(base_map((109.0, 35.0, 109.1, 35.1), ASSETS))["script"]
    assert "L.control.scale({metric: true, imperial: false})" in script
    assert script.count("L.control.scale(") == 1


def test_the_first_view_is_fitted_without_animation():
    # Leaflet drops a setView asked for while a zoom animation runs: an animated first fit made
    # the case map keep the district's view when its data arrived within the animation (issue 20)
    script = render_parts(base_map((109.0, 35.0, 109.1, 35.1), ASSETS))["script"]
    fits = [line for line in script.splitlines() if ".fitBounds(" in line]
    assert len(fits) == 1
    call = script[script.index(".fitBounds("):]
    assert '"animate": false' in call[:call.index(");")]
