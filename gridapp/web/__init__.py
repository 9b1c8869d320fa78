"""HTML pages (thin): parse the form → call a service → render. Simplified Chinese first."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from ..accounts import service as accounts
from ..assets import vendor_url
from ..auth import login_throttle
from ..boundaries import areas
from ..boundaries.rules import outline_levels
from ..core.roles import ROLE_NAMES
from ..coverage import rules as coverage_rules
from ..coverage import tiles
from ..errors import DomainError
from ..extensions import database_answers, db
from ..incidents import photos
from ..incidents import reports as incidents
from ..incidents.duplicates import candidates_of
from ..incidents.rules import STATE_NAMES
from ..maps import ContextLayers, CoverageLayers, PointPicker, base_map, basemaps, mbtiles, render_parts
from ..settings import basemap_settings, photo_settings
from .forms import IncidentForm, LoginForm, LogoutForm
from .labels import coverage_labels

bp = Blueprint("web", __name__)


def refuse_page_action(err: DomainError) -> None:
    """After a page action was refused: roll back; out of role or scope (403/404) the page answers
    as the API does (re-raised), any other refusal is flashed on the page the user returns to."""
    db.session.rollback()
    if err.status in (403, 404):
        raise err
    flash(err.message, "error")


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Refuses absolute URLs, scheme-relative ``//host``, ``/\\host`` and any backslash or
    control character (browsers treat ``\\`` as ``/``).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.app_context_processor
def _layout_context():
    # formdata=None: the layout never reads the request body (an error page must render for any body)
    return {"logout_form": LogoutForm(formdata=None), "role_names": ROLE_NAMES}


@bp.route("/login", methods=["GET", "POST"])
@login_throttle
def login():
    """Log in with username and password (form fields username, password, csrf_token);
    honours ``?next=`` when it is a path of this site. A new server-side session is opened and
    the cookie session is cleared first (no session fixation)."""
    form = LoginForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data, form.password.data, address=request.remote_addr)
        except DomainError as err:
            flash(err.message, "error")
            status = err.status
        else:
            _fresh_session()
            accounts.start_session(user)
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
    return render_template("login.html", form=form), status


def _fresh_session() -> None:
    """Empty the cookie session, keeping only the language choice."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.post("/logout")
def logout():
    """Log out (POST with the CSRF token): revoke the server-side session, so a copied session
    or remember-me cookie no longer works, and return to the login page."""
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        accounts.end_session(current_user.login_sid, current_user._get_current_object())
        _fresh_session()
        logout_user()  # after clearing: it marks the remember-me cookie for deletion
        flash(_("您已退出登录。"), "info")
    return redirect(url_for("web.login"))


@bp.route("/")
@login_required
def home():
    """Home page for the user's role: their scope, counts and next steps."""
    return render_template("home.html", summary=areas.scope_summary(current_user))


def uploaded_photo_refs(field: str = "photos") -> list[str]:
    """Store the files of a multipart form field (in the caller's transaction); return refs."""
    return ["photo:" + photos.store(current_user, f.read(), f.filename, commit=False, settings=photo_settings()).sha256
            for f in request.files.getlist(field) if f and f.filename]


def page_base_map(bounds, *, outlines: bool = True):
    """The base map of a page fitted to ``bounds`` (min_lon, min_lat, max_lon, max_lat; SRID
    4326): the vendored Leaflet, the configured tiles (TILES_URL; none by default) and the context
    outlines with their names (:class:`gridapp.maps.ContextLayers`; ``outlines=False``: the names
    only, for a page that draws the outlines itself)."""
    chosen = current_basemap()
    m = base_map(bounds, {"leaflet_js": vendor_url("leaflet", "leaflet.js"),
                          "leaflet_css": vendor_url("leaflet", "leaflet.css")}, chosen.as_dict())
    if any(layer.kind == "vector" for layer in chosen.layers):
        add_vectorgrid(m)
    ContextLayers(context_config(m, outlines)).add_to(m)
    return m


def current_basemap() -> basemaps.BaseMap:
    """The base map of the app's settings (:mod:`gridapp.maps.basemaps`); for the mbtiles preset,
    the package in the instance folder (``MBTILES_FILE``) served by ``web.basemap_tile``."""
    package = mbtiles.describe(Path(current_app.instance_path) / current_app.config["MBTILES_FILE"])
    if package:
        url = url_for("web.basemap_tile", z=0, x=0, y=0).replace("/0/0/0", "/{z}/{x}/{y}")
        package = {**package, "url": url}
    return basemaps.resolve(basemap_settings(), package)


def area_urls() -> dict[str, str]:
    """The GeoJSON URLs of the district, township and community areas at 6 decimals (≈ 0.1 m: they
    draw the same as full precision): the same URLs for the context layers and the coverage map,
    so a page asks for each once (map.js ``gridappFetchAreas``)."""
    return {level: url_for("api.list_areas", level=level, precision=6)
            for level in ("district", "township", "community")}


def context_config(m, outlines: bool) -> dict:
    """The config of the context layers of map ``m`` for the current user: GeoJSON of the areas
    (6 decimals, ≈ 0.1 m) and of the user's grids; at city scale (MAP_TILE_MIN_GRIDS grids in scope)
    the community and grid outlines from the vector tiles instead (Leaflet.VectorGrid added to
    ``m``'s scripts)."""
    urls = {**area_urls(), "grid": url_for("api.list_grids")}
    config = {"urls": urls, "tiles": None, "levels": outline_levels(), "outlines": outlines}
    city = current_user.is_authenticated and \
        tiles.scope_grid_count(current_user) >= current_app.config["MAP_TILE_MIN_GRIDS"]
    if city:
        template = tile_layer_config(0, (0, 0, 0, 0))
        config["tiles"] = {"communities": template["communities"], "grids": template["grids"]}
        add_vectorgrid(m)
    return config


def add_vectorgrid(m) -> None:
    """Add the vendored Leaflet.VectorGrid to map ``m``'s scripts (once)."""
    if not any(name == "leaflet.vectorgrid" for name, _url in m.default_js):
        m.default_js.append(("leaflet.vectorgrid",
                             vendor_url("leaflet.vectorgrid", "Leaflet.VectorGrid.bundled.min.js")))


def tile_layer_config(grid_count: int, bounds: tuple[float, float, float, float],
                      unit_bounds: tuple[float, float, float, float] | None = None) -> dict:
    """The ``tiles`` part of a map page's layer config at city scale: URL templates of the tile
    layers ({z}/{x}/{y} filled in by Leaflet), the clusters URL, the zoom from which incidents are
    drawn one by one, the number of grids in scope and the scope's ``bounds`` (min_lon, min_lat,
    max_lon, max_lat; the view is fitted to them at once, before any tile is asked for; the grid
    layers ask only for tiles meeting them) and ``unit_bounds``
    (:func:`gridapp.boundaries.areas.units_bounds`: the communities layer asks only for tiles
    meeting them; null: every tile of the view)."""
    def template(layer: str) -> str:
        return url_for("api.grid_tile", layer=layer, z=0, x=0, y=0).replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf")

    return {"grids": template("grids"), "coverage": template("coverage"), "communities": template("communities"),
            "clusters": url_for("api.incident_clusters"), "cluster_max_zoom": tiles.CLUSTER_MAX_ZOOM,
            "grid_count": grid_count, "bounds": list(bounds),
            "unit_bounds": list(unit_bounds) if unit_bounds else None}


def scope_map_parts(user, *, picker: dict | None = None, with_incidents: bool = False) -> dict | None:
    """The parts (head, body, script) of the map of the user's scope, or None without one."""
    bounds = areas.scope_bounds(user)
    if bounds is None:
        return None
    m = page_base_map(bounds, outlines=False)
    urls = {**area_urls(), "grids": url_for("api.list_grids")}
    if with_incidents:
        urls["incidents"] = url_for("api.list_incidents")
        urls["coverage"] = url_for("api.get_coverage_grids")
    labels = {"district": _("区界"), "townships": _("街道/镇"), "communities": _("社区/村"),
              "grids": _("网格"), "grid": _("网格边界"), "incidents": _("事件"),
              "legend": _("图例"),
              "approximate": _("示意边界（推算，非测绘）"),
              "approximate_note": _("街道、社区、村和网格边界为示意边界，由真实区界和中心点推算，非测绘成果。"),
              "load_failed": _("地图数据加载失败：")}
    labels.update(coverage_labels())
    focus = bounds if user.role in ("worker", "secretary", "township") else None
    config = {"urls": urls, "labels": labels, "focus": focus, "coverage_styles": coverage_rules.map_styles(),
              "community_styles": coverage_rules.community_styles()}
    grid_count = tiles.scope_grid_count(user)
    if grid_count >= current_app.config["MAP_TILE_MIN_GRIDS"]:
        # city scale: vector tiles + server clusters
        config["tiles"] = tile_layer_config(grid_count, bounds, areas.units_bounds(user))
        add_vectorgrid(m)
    CoverageLayers(config).add_to(m)
    if picker:
        PointPicker(picker).add_to(m)
    return render_parts(m)


@bp.route("/map")
@login_required
def coverage_map():
    """Grid coverage map of the user's scope (district, townships, communities/villages
    gridded or not, grids, incidents)."""
    return render_template("map.html", map=scope_map_parts(current_user, with_incidents=True))


@bp.route("/incidents")
@login_required
def incident_list():
    """The incidents the user may see, newest first; times in Asia/Shanghai."""
    return render_template("incidents/incidents.html", incidents=incidents.visible_incidents(current_user),
                           state_names=STATE_NAMES)


def _category_choices() -> list[SelectChoice]:
    """Leaf categories grouped by their major class (social-governance classes together)."""
    def group(c):
        return c.parent.name if c.parent else (_("社会治理") if c.kind == "social" else c.name)
    return [SelectChoice("", _("请选择"))] + [
        SelectChoice(c.code, f"{c.code} {c.name}", optgroup=group(c)) for c in incidents.leaf_categories()]


@bp.route("/incidents/new", methods=["GET", "POST"])
@login_required
def incident_new():
    """Report an incident: the point comes from a click on the map or typed lon/lat."""
    form = IncidentForm()
    form.category_code.choices = _category_choices()
    status = 200
    if form.validate_on_submit():
        try:
            incident = incidents.report_incident(current_user, form.category_code.data,
                                                 form.description.data, form.lon.data, form.lat.data,
                                                 uploaded_photo_refs())
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
            status = err.status
        else:
            flash(_("事件已上报，编号 %(id)s，所在网格 %(grid)s。", id=incident.id,
                    grid=incident.grid_code or incident.community_code), "info")
            dups = candidates_of(current_user, incident)
            if dups:
                flash(_("附近 50 米内 7 天内有同类未结事件：%(ids)s，可能重复；社区可在案件页合并。",
                        ids="、".join(f"#{i.id}" for i, _d in dups)), "warning")
            return redirect(url_for("web.incident_list"))
    elif request.method == "POST":
        status = 400
    picker = {"lon_input": form.lon.id, "lat_input": form.lat.id}
    return render_template("incidents/incident_new.html", form=form,
                           map=scope_map_parts(current_user, picker=picker)), status


@bp.route("/about")
def about():
    """About the product and its data: provenance and attributions."""
    return render_template("about.html")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for ``/favicon.ico`` whatever the page declares: the SVG icon (301)."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/healthz")
def healthz():
    """200 {"status": "ok"} when the database answers; 503 otherwise."""
    if not database_answers():
        return {"status": "unavailable"}, 503
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    """Register the HTML blueprint."""
    app.register_blueprint(bp)


from . import (  # noqa: E402,F401
    basemap,
    boundaries,
    cases,
    dashboard,
    disputes,
    export_jobs,
    exports,
    notifications,
    org,
    phone,
    places,
    security,
)
