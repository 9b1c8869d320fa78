"""Importing incidents in bulk from a point table (CSV or .xlsx): each row located by the one
location rule (:func:`gridapp.boundaries.locate.locate_many`), refused rows named by index."""
from __future__ import annotations

import shapely
from sqlalchemy import select, text

from ..core.params import has_control
from ..extensions import db
from ..geo import io as geoio
from ..geo import tables as geotables
from ..incidents.rules import DESCRIPTION_MAX
from ..models import IncidentCategory
from .import_options import ImportOptions, Report
from .locate import locate_many
from .rules import CATEGORY_HEADERS, DESCRIPTION_HEADERS, IMPORT_PROGRESS_EVERY


def _row_point(row, lon_i, lat_i) -> tuple[float, float] | str:
    try:
        lon, lat = float(str(row[lon_i]).strip()), float(str(row[lat_i]).strip())
    except (ValueError, IndexError):
        return "coordinates are not numbers"
    return lon, lat


def _row_problem(header: list[str], row: list) -> str | None:
    """Why a data row cannot be read as the header says, or None: fewer fields than the header,
    more non-empty fields, a control character (NUL …) or a field over :data:`DESCRIPTION_MAX`."""
    if len(row) < len(header):
        return f"the row has {len(row)} fields, the header {len(header)}"
    if any(str(v).strip() for v in row[len(header):]):
        return f"the row has {len(row)} fields, the header {len(header)}"
    for name, value in zip(header, row, strict=False):
        if isinstance(value, str) and has_control(value):
            return f"field {name!r} holds a control character (NUL or another C0 character)"
        if len(str(value)) > DESCRIPTION_MAX:
            return f"field {name!r} is longer than {DESCRIPTION_MAX} characters"
    return None


def import_incidents(user, data, filename, options: ImportOptions, report: Report) -> None:
    """Check every data row of the table (refused rows named by 0-based index: a short or long row,
    a control character, an oversized field, no coordinates, no leaf category, no description) and,
    when none is refused, insert them all (see :func:`_insert_located`)."""
    header, rows = geotables.read_table(data, filename)
    lon_i, lat_i = geotables.coordinate_columns(header)
    cat_i = geotables.find_column(header, CATEGORY_HEADERS)
    desc_i = geotables.find_column(header, DESCRIPTION_HEADERS)
    parents = set(db.session.scalars(select(IncidentCategory.parent_code).where(
        IncidentCategory.parent_code.is_not(None))))
    leaves = set(db.session.scalars(select(IncidentCategory.code))) - parents
    points, total = [], len(rows)
    for index, row in enumerate(rows):
        if options.progress and index % IMPORT_PROGRESS_EVERY == 0:
            options.progress(index, total)
        problem = _row_problem(header, row)
        if problem:
            report.refuse(index, None, None, problem)
            continue
        category = (str(row[cat_i]).strip() if cat_i is not None and row[cat_i] not in (None, "") else None) \
            or options.category_code
        description = str(row[desc_i]).strip() if desc_i is not None and row[desc_i] is not None else ""
        label = description[:40] or None
        point = _row_point(row, lon_i, lat_i)
        if isinstance(point, str):
            report.refuse(index, None, label, point)
        elif category not in leaves:
            report.refuse(index, None, label, f"category {category!r} is not a leaf incident category "
                                              "(give a category_code column or the category_code option)")
        elif not description:
            report.refuse(index, None, label, "empty description")
        else:
            points.append((index, point, category, description, label))
    raw = [geoio.RawFeature(i, {}, shapely.Point(p)) for i, p, *_ in points]
    raw = geoio.to_wgs84(raw, geoio.crs_name(options.crs), gcj02=options.gcj02, extent=options.extent)
    for f, (index, _p, _c, _d, label) in zip(raw, points, strict=True):
        if f.error:
            report.refuse(index, None, label, f.error)
    if report.refused:
        return
    _insert_located(user, [(idx, f.geometry.x, f.geometry.y, c, d) for f, (idx, _p, c, d, _l) in zip(raw, points,
                                                                                                    strict=True)],
                    report)
    if options.progress:
        options.progress(total, total)


def _insert_located(user, rows, report) -> None:
    """Locate the points all at once (:func:`gridapp.boundaries.locate.locate_many`: the location rule,
    vectorised over the points with shapely), refuse those outside every community, then load the
    located rows into a temporary table (COPY) and insert all incidents in file order.
    ``rows``: (row index, lon, lat, category code, description) in file order."""
    located = locate_many([r[1] for r in rows], [r[2] for r in rows])
    for pos in located.outside:
        idx, x, y, *_rest = rows[pos]
        report.refuse(idx, None, None, f"({x}, {y}) lies outside every community/village (no unit covers it)")
    if report.refused:
        return
    db.session.execute(text(
        "CREATE TEMP TABLE import_points (idx int PRIMARY KEY, lon float8, lat float8, category_code text, "
        "description text, community_code text, district_code text, grid_code text) ON COMMIT DROP"))
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy("COPY import_points FROM STDIN") as copy:
        for row, community, district, grid in zip(rows, located.community_code, located.district_code,
                                                   located.grid_code, strict=True):
            copy.write_row((*row, community, district, grid))
    result = db.session.execute(text("""
        INSERT INTO incidents (category_code, description, geom, grid_code, community_code, district_code,
                               reporter_id, status)
        SELECT category_code, description, ST_SetSRID(ST_MakePoint(lon, lat), 4326), grid_code, community_code,
               district_code, :user, 'reported'
        FROM import_points ORDER BY idx"""), {"user": user.id})
    report.created = result.rowcount
