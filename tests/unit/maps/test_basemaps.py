"""Base-map presets (issue 20): one setting chooses; every host of the chosen tiles is spelled out
for the content-security policy (Chromium rejects a ``t{s}`` host)."""
from __future__ import annotations

import re

import pytest

from gridapp.maps import base_map, basemaps, render_parts
from gridapp.security import content_security_policy

ASSETS = {"leaflet_js": "/static/leaflet.js", "leaflet_css": "/static/leaflet.css"}
NONE = {"BASEMAP": "", "TILES_URL": "", "TILES_SUBDOMAINS": "abc", "TILES_ATTRIBUTION": "", "TIANDITU_KEY": "",
        "TIANDITU_LAYER": "vec", "TIANDITU_ROOT": basemaps.TIANDITU_ROOT}


def test_no_base_map_by_default_and_xyz_when_a_template_is_set():
    assert basemaps.resolve(NONE) == basemaps.BaseMap("none")
    assert basemaps.resolve(NONE).origins() == []
    xyz = basemaps.resolve({**NONE, "TILES_URL": "https://tiles{s}.intranet.example:8443/{z}/{x}/{y}.png",
                            "TILES_SUBDOMAINS": "1,2"})
    assert xyz.name == "xyz" and xyz.layers[0].subdomains == ["1", "2"]
    assert xyz.origins() == ["https://tiles1.intranet.example:8443", "https://tiles2.intranet.example:8443"]


@pytest.mark.parametrize(("layer", "names"), [("vec", ("vec", "cva")), ("img", ("img", "cia"))])
def test_tianditu_is_a_layer_and_its_annotations_from_t0_to_t7(layer, names):
    chosen = basemaps.resolve({**NONE, "BASEMAP": "tianditu", "TIANDITU_KEY": "k123", "TIANDITU_LAYER": layer})
    assert [re.search(r"LAYER=(\w+)", t.url).group(1) for t in chosen.layers] == list(names)
    assert all(t.subdomains == "01234567" and "tk=k123" in t.url and "TILEMATRIXSET=w" in t.url
               for t in chosen.layers)
    assert chosen.origins() == [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
    csp = content_security_policy("n0nce", chosen.origins())
    img = next(d for d in csp.split("; ") if d.startswith("img-src"))
    assert "{s}" not in csp and img.split()[3:] == chosen.origins()


def test_amap_is_gcj02_and_osm_and_unknown_presets():
    amap = basemaps.resolve({**NONE, "BASEMAP": "amap"})
    assert amap.crs == "gcj02" and amap.origins() == [f"https://webrd0{i}.is.autonavi.com" for i in range(1, 5)]
    script = render_parts(base_map((109.0, 35.0, 109.1, 35.1), ASSETS, amap.as_dict()))["script"]
    assert "crs: L.CRS.GridappGcj02" in script and "gridappBaseMap(" in script
    assert basemaps.resolve({**NONE, "BASEMAP": "osm"}).origins() == ["https://tile.openstreetmap.org"]
    with pytest.raises(ValueError, match="unknown base map"):
        basemaps.resolve({**NONE, "BASEMAP": "google"})
    assert basemaps.resolve({**NONE, "BASEMAP": "mbtiles"}, None).layers == ()  # no package: no base map
    plain = render_parts(base_map((109.0, 35.0, 109.1, 35.1), ASSETS, basemaps.resolve(NONE).as_dict()))["script"]
    assert "crs: L.CRS.EPSG3857" in plain and "gridappBaseMap(" not in plain
