"""folium map builders: data in, ``folium.Map`` out; no database access, no request.

Every JS/CSS asset is served by the app (URLs passed in by the caller); base tiles are optional
(no base map by default). Layer data is not embedded: the page fetches it from the JSON API and
draws it with Leaflet, so user text reaches the page only as JSON data and is inserted with
``textContent`` (never as HTML or template text).
"""
from __future__ import annotations

import folium
from branca.element import MacroElement
from folium.map import FitBounds
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup


def base_map(bounds: tuple[float, float, float, float], assets: dict[str, str],
             basemap: dict | None = None) -> folium.Map:
    """A folium map fitted to ``bounds`` = (min_lon, min_lat, max_lon, max_lat), SRID 4326.

    ``assets``: URLs of ``leaflet_js`` and ``leaflet_css`` served by the app.
    ``basemap``: :meth:`gridapp.maps.basemaps.BaseMap.as_dict` of the chosen preset, or None for
    no base map (the default setting). A GCJ-02 base map (AMap) gets the map CRS
    ``L.CRS.GridappGcj02`` (static/js/map_basemap.js): WGS84 data shown shifted, clicks shifted back.
    """
    gcj = bool(basemap and basemap.get("crs") == "gcj02")
    m = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
                   zoom_start=12, tiles=None, control_scale=False, prefer_canvas=False,
                   crs="GridappGcj02" if gcj else "EPSG3857")
    if basemap and basemap.get("layers"):
        BaseLayers(basemap).add_to(m)
    MetricScale().add_to(m)
    # Assign new lists: folium's class-level defaults point at public CDNs.
    m.default_js = [("leaflet", assets["leaflet_js"])]
    m.default_css = [("leaflet_css", assets["leaflet_css"])]
    m.options["max_zoom"] = 19
    m.options["zoom_snap"] = 0.25  # fit the district closely
    # the first view is set at once: an animated fit would still be running when a page's script
    # fits its data, and Leaflet drops a setView asked for during a zoom animation
    fit = FitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    fit.options["animate"] = False
    fit.add_to(m)
    return m


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's own also shows feet and miles)."""

    _template = Template("""
{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")


class JsonConfigElement(MacroElement):
    """A map element whose script receives ``config`` as JSON data (:attr:`config_json`)."""

    _template = Template("")

    def __init__(self, config: dict):
        super().__init__()
        self._name = type(self).__name__
        self.config = config

    @property
    def config_json(self) -> Markup:
        """``config`` as JSON safe inside a script element, its objects' members in the order the
        rules give them (a legend's classes, a map's levels): Jinja's ``tojson`` sorts the keys."""
        return htmlsafe_json_dumps(self.config, sort_keys=False)


class BaseLayers(JsonConfigElement):
    """The base map's tile layers (static/js/map_basemap.js): ``config`` =
    :meth:`gridapp.maps.basemaps.BaseMap.as_dict` ({name, crs, layers: [{url, subdomains,
    attribution, kind (raster | vector), min_zoom, max_native_zoom, bounds}]}), drawn bottom up
    in Leaflet's tile pane."""

    _template = Template("""
{% macro script(this, kwargs) %}
gridappBaseMap({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


class ContextLayers(JsonConfigElement):
    """Where the map is, without a base map (static/js/map_context.js): district, township,
    community and grid outlines with their names at the zooms of ``config["levels"]``
    (:func:`gridapp.boundaries.rules.outline_levels`), in panes under every data layer.

    ``config``: {"urls": {district, township, community, grid} (GeoJSON), "tiles": {communities,
    grids} (vector-tile URL templates at city scale, else null: the community and grid outlines
    then come from the tiles, unlabelled), "levels", "outlines" (false: names only — the page
    draws the outlines itself, as the coverage map does)}. Add it before the data layers.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
gridappContext({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


class CoverageLayers(JsonConfigElement):
    """Layers fetched from the API in the page: district outline, townships, communities and
    villages coloured gridded / not gridded (derived boundaries flagged as approximate), grids
    with a tooltip (code, name) and an optional incident layer.

    ``config``: {"urls": {"district", "township", "community", "grids", "incidents"?, "coverage"?},
    "labels": {...translated strings...}, "coverage_styles" (grid statuses) and "community_styles"
    (gridded / ungridded) — labels and colours of :mod:`gridapp.coverage.rules`}.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
gridappCoverage({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


class PointPicker(JsonConfigElement):
    """Click on the map to pick a point: fills the inputs named in ``config`` (``lon_input``,
    ``lat_input``) and shows a marker; typing lon/lat moves the marker."""

    _template = Template("""
{% macro script(this, kwargs) %}
gridappPointPicker({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


class CaseMarker(JsonConfigElement):
    """One case's point: ``config`` = {"lon", "lat", "label"}; a marker with the label as a
    tooltip (inserted as text)."""

    _template = Template("""
{% macro script(this, kwargs) %}
gridappCaseMarker({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


class IncidentLayers(JsonConfigElement):
    """Incidents fetched from the API in the page (``config["url"]``, with the board's filters),
    drawn as clustered markers (Leaflet.markercluster) with a heat-map alternative (Leaflet.heat),
    a layer control to switch, and popups built with ``textContent``."""

    _template = Template("""
{% macro script(this, kwargs) %}
gridappIncidentMap({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


def render_parts(m: folium.Map) -> dict:
    """Render a map into the parts a page template embeds: ``js`` and ``css`` (asset URLs),
    ``html`` (the map div) and ``script`` (the map's JavaScript, to run in one inline script
    carrying the page's CSP nonce). folium's own header (a viewport meta that stops zooming,
    page-wide styles, an inline script) is left out: the page has its own."""
    root = m.get_root()
    root.render()
    return {"js": [url for _name, url in m.default_js], "css": [url for _name, url in m.default_css],
            "html": root.html.render(), "script": root.script.render()}


class CoverageProblems(JsonConfigElement):
    """The coverage check layer: gaps, overlaps, grids outside their community and ungridded
    communities, fetched from ``config["url"]`` (GET /api/v1/coverage-check) and drawn in the page
    (static/js/coverage_check.js). ``config``: {"url", "styles": {kind: {label, color, fillOpacity}}
    (:func:`gridapp.coverage.rules.check_styles`), "labels": {"layer", "load_failed"}}."""

    _template = Template("""
{% macro script(this, kwargs) %}
gridappCoverageCheck({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


class PlaceLayers(JsonConfigElement):
    """The places layer: places fetched from ``config["url"]`` (GET /api/v1/places with the
    page's type/status filters), one overlay per place type in a layer control, circle markers
    coloured by status (static/js/places_map.js), popups built with ``textContent``."""

    _template = Template("""
{% macro script(this, kwargs) %}
gridappPlaceMap({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


class DashboardLayers(JsonConfigElement):
    """The dashboard (static/js/dashboard.js): choropleth layers of the sub-areas fetched from
    ``config["urls"]["areas"]`` (GET /api/v1/dashboard/areas) — incident density, overdue cases,
    coverage gaps, disputes — in a layer switcher with a legend; a click drills down; the
    figures, tables and charts come from ``config["urls"]["summary"]`` (GET /api/v1/dashboard).
    ``config``: {"urls", "state": {level, code, from, to}, "labels", "metrics", "columns"}."""

    _template = Template("""
{% macro script(this, kwargs) %}
gridappDashboard({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")


class DisputeLayer(JsonConfigElement):
    """Disputes fetched from ``config["url"]`` (GeoJSON), drawn as circle markers coloured by
    risk level, outlined by state, with popups built with ``textContent``."""

    _template = Template("""
{% macro script(this, kwargs) %}
gridappDisputeMap({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")
