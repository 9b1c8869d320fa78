"""API v1: the district review dashboard (issue 7) — the coverage, KPI, dispute and inspection
figures of an area and period assembled by :mod:`gridapp.analytics.dashboard`."""
from __future__ import annotations

from flask import jsonify, request

from ..analytics import dashboard
from ..auth import api_user
from . import bp
from .contract import GEOJSON, operation
from .schemas import boundaries as bs
from .schemas.common import FeatureCollection


def _args() -> tuple:
    a = request.args
    return a.get("level") or None, a.get("code") or None, a.get("from") or None, a.get("to") or None


@bp.get("/dashboard")
@operation("analytics", bs.Dashboard, query=bs.DashboardQuery)
def get_dashboard():
    """The dashboard of an area and period: ``?level=district|township|community|grid&code=...
    &from=YYYY-MM-DD&to=YYYY-MM-DD`` (local dates, Asia/Shanghai, inclusive; default: the caller's
    area and the last 30 days) → {level, code, name, trail, period {from, to, days,
    previous_from, previous_to}, child_level, coverage, kpi {current, previous}, disputes
    {current, previous}, inspections {current, previous}, children [{code, name, coverage, gap,
    kpi, disputes}], charts {unit, trend {incidents, disputes}, by_category, by_community}} —
    each figure exactly the output of /coverage, /kpi, /disputes/stats, /inspection-figures
    (see :mod:`gridapp.analytics.dashboard`). 400 malformed; 403 outside scope or grid worker;
    404 unknown area."""
    return jsonify(dashboard.summary(api_user(), *_args()))


@bp.get("/dashboard/areas")
@operation("analytics", FeatureCollection, query=bs.DashboardAreasQuery, media=GEOJSON)
def get_dashboard_areas():
    """Choropleth layer: GeoJSON FeatureCollection (SRID 4326) of the sub-areas of an area
    (``?level=&code=&from=&to=`` as /dashboard; ``by=township|community|grid``, default the next
    level down) with properties code, name, level, area_km2 (EPSG:6933), incidents, density
    (per km²), overdue, gap, disputes for the period. 400 malformed; 403 outside scope or grid
    worker; 404 unknown area."""
    return jsonify(dashboard.areas_layer(api_user(), request.args.get("level") or None,
                                         request.args.get("code") or None, request.args.get("by") or None,
                                         request.args.get("from") or None, request.args.get("to") or None))
