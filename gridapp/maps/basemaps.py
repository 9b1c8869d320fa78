"""Base maps as named presets, chosen by one setting (``GRIDAPP_BASEMAP``, config.py) — the one
file to change them. Pure: settings in, a :class:`BaseMap` out (no request, no database).

* ``none`` (default): no base map; every map draws its context outlines (static/js/map_context.js).
* ``tianditu`` (天地图, the national platform): the vector (``vec``) or image (``img``) layer and its
  annotation layer (``cva`` / ``cia``), Web Mercator tile matrix set ``w``, hosts ``t0``–``t7``, the
  key from ``GRIDAPP_TIANDITU_KEY``. Its datum is CGCS2000, treated as WGS84 (they differ by
  centimetres: below a pixel at every zoom the product uses).
* ``amap`` (高德): raster tiles in GCJ-02; the page shifts its WGS84 layers to GCJ-02 for display
  and clicks back to WGS84 (``crs = "gcj02"``: static/js/map_basemap.js, the transform of
  :mod:`gridapp.geo.gcj02`).
* ``osm``: OpenStreetMap's standard tiles (internet access; mind the tile usage policy).
* ``xyz``: a custom template (``GRIDAPP_TILES_URL``, ``{s}`` with ``GRIDAPP_TILES_SUBDOMAINS``)
  for an intranet tile server; chosen too when the template is set and no preset is.
* ``mbtiles``: an offline package — an MBTiles file of the district (raster PNG/JPEG/WebP or
  vector PBF) dropped into the instance folder (``GRIDAPP_MBTILES``, default ``basemap.mbtiles``)
  and served by the app itself (:mod:`gridapp.maps.mbtiles`, ``/basemap/tiles/{z}/{x}/{y}``).

The content-security policy's ``img-src`` and ``connect-src`` list exactly the origins of the
chosen layers (:meth:`BaseMap.origins`: every subdomain spelled out — browsers reject a ``{s}``
host).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: The presets, in the order of the documentation.
PRESETS = ("none", "tianditu", "amap", "osm", "xyz", "mbtiles")
#: 天地图 layers: setting value → (base layer, annotation layer) of the ``w`` (Web Mercator) matrix set.
TIANDITU_LAYERS = {"vec": ("vec", "cva"), "img": ("img", "cia")}
TIANDITU_ROOT = "https://t{s}.tianditu.gov.cn"
TIANDITU_SUBDOMAINS = "01234567"
TIANDITU_ATTRIBUTION = "© 天地图 国家地理信息公共服务平台"
AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
AMAP_SUBDOMAINS = "1234"
AMAP_ATTRIBUTION = "© 高德地图 AutoNavi"
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: Deepest zoom with tiles of each online source (Leaflet scales the last level beyond it).
MAX_NATIVE_ZOOM = {"tianditu": 18, "amap": 18, "osm": 19, "xyz": 19}


@dataclass(frozen=True)
class TileLayer:
    """One tile layer: ``url`` a Leaflet template ({s} {z} {x} {y}), ``subdomains`` the values of
    {s} (a string of characters or a list), ``kind`` raster | vector, zooms and ``bounds``
    [min_lon, min_lat, max_lon, max_lat] (None: the world)."""

    url: str
    subdomains: str | list = ""
    attribution: str = ""
    kind: str = "raster"
    min_zoom: int = 0
    max_native_zoom: int = 19
    bounds: list | None = None

    def as_dict(self) -> dict:
        """The layer as the page's script receives it."""
        return {"url": self.url, "subdomains": self.subdomains, "attribution": self.attribution,
                "kind": self.kind, "min_zoom": self.min_zoom, "max_native_zoom": self.max_native_zoom,
                "bounds": self.bounds}


@dataclass(frozen=True)
class BaseMap:
    """A preset resolved: its ``name``, the ``layers`` drawn bottom up and the datum of its tiles
    (``crs``: wgs84 | gcj02)."""

    name: str
    layers: tuple[TileLayer, ...] = field(default_factory=tuple)
    crs: str = "wgs84"

    def origins(self) -> list[str]:
        """The origins (scheme://host[:port]) the layers' tiles come from, each subdomain spelled
        out; relative URLs (the app's own) give none."""
        out: list[str] = []
        for layer in self.layers:
            for sub in (list(layer.subdomains) or [""]) if "{s}" in layer.url else [""]:
                parts = urlsplit(layer.url.replace("{s}", str(sub)))
                origin = f"{parts.scheme}://{parts.netloc}"
                if parts.scheme in ("http", "https") and parts.netloc and origin not in out:
                    out.append(origin)
        return out

    def as_dict(self) -> dict:
        """The base map as the page's script receives it: {name, crs, layers}."""
        return {"name": self.name, "crs": self.crs, "layers": [layer.as_dict() for layer in self.layers]}


def preset_name(settings: dict) -> str:
    """The chosen preset: ``BASEMAP`` if set, else ``xyz`` when ``TILES_URL`` is set, else none.
    Raises ValueError for an unknown name (the app refuses to start)."""
    name = (settings.get("BASEMAP") or "").strip().lower() or ("xyz" if settings.get("TILES_URL") else "none")
    if name not in PRESETS:
        raise ValueError(f"GRIDAPP_BASEMAP={name!r}: unknown base map (one of {', '.join(PRESETS)})")
    return name


def tianditu_url(root: str, layer: str, key: str) -> str:
    """The WMTS KVP GetTile template of one 天地图 layer (matrix set ``w``, Web Mercator)."""
    return (f"{root.rstrip('/')}/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
            f"&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")


def resolve(settings: dict, mbtiles: dict | None = None) -> BaseMap:
    """The base map of ``settings`` (the app configuration's BASEMAP, TIANDITU_KEY, TIANDITU_LAYER,
    TIANDITU_ROOT, TILES_URL, TILES_SUBDOMAINS, TILES_ATTRIBUTION). ``mbtiles``: for the mbtiles
    preset, {url (the app's tile route template), kind, min_zoom, max_zoom, bounds, attribution}
    of the package (:func:`gridapp.maps.mbtiles.describe`), or None when there is no package
    (then no base map). Raises ValueError for an unknown preset or 天地图 layer."""
    name = preset_name(settings)
    if name == "tianditu":
        choice = settings.get("TIANDITU_LAYER") or "vec"
        if choice not in TIANDITU_LAYERS:
            raise ValueError(f"GRIDAPP_TIANDITU_LAYER={choice!r}: one of {', '.join(TIANDITU_LAYERS)}")
        root, key = settings.get("TIANDITU_ROOT") or TIANDITU_ROOT, settings.get("TIANDITU_KEY") or ""
        return BaseMap(name, tuple(TileLayer(tianditu_url(root, layer, key), TIANDITU_SUBDOMAINS,
                                             TIANDITU_ATTRIBUTION if i == 0 else "", min_zoom=1,
                                             max_native_zoom=MAX_NATIVE_ZOOM["tianditu"])
                                   for i, layer in enumerate(TIANDITU_LAYERS[choice])))
    if name == "amap":
        return BaseMap(name, (TileLayer(AMAP_URL, AMAP_SUBDOMAINS, AMAP_ATTRIBUTION, min_zoom=3,
                                        max_native_zoom=MAX_NATIVE_ZOOM["amap"]),), crs="gcj02")
    if name == "osm":
        return BaseMap(name, (TileLayer(OSM_URL, "", OSM_ATTRIBUTION, max_native_zoom=MAX_NATIVE_ZOOM["osm"]),))
    if name == "xyz" and settings.get("TILES_URL"):
        subdomains = settings.get("TILES_SUBDOMAINS") or "abc"
        subdomains = [s.strip() for s in subdomains.split(",")] if "," in subdomains else subdomains
        return BaseMap(name, (TileLayer(settings["TILES_URL"], subdomains,
                                        settings.get("TILES_ATTRIBUTION") or "",
                                        max_native_zoom=MAX_NATIVE_ZOOM["xyz"]),))
    if name == "mbtiles" and mbtiles:
        return BaseMap(name, (TileLayer(mbtiles["url"], "", mbtiles.get("attribution") or "", mbtiles["kind"],
                                        mbtiles["min_zoom"], mbtiles["max_zoom"], mbtiles.get("bounds")),))
    return BaseMap(name)
