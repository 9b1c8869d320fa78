"""Importing boundaries (district, township, community/village, grid) and incidents in bulk.

One action = one transaction: every feature is read (:mod:`gridapp.geo.io`) and validated
(:mod:`gridapp.geo.validate`) before anything is written; one refused feature refuses the whole
file (nothing written). ``mode=dry_run`` runs everything and rolls back. Admin only.

Matching a feature to the hierarchy (level L, parent P):

* code (property ``code_field``, else the first of :data:`CODE_FIELDS` present): the full code of
  level L (6/9/12/15 digits) starting with P's code, or a short sequence (1–3 digits) within P,
  zero-padded after P's code (``7`` under township 610202002 → 610202002007);
* without a code, the name (``name_field``, else :data:`NAME_FIELDS`) matched to an existing child
  of P by normalised Chinese name (:func:`gridapp.codes.short_name`: 社区居委会 ≈ 社区);
* an existing code → its boundary is **replaced**; a well-formed new code → a unit is **created**
  (its name is the file's name, else its code);
* grids: when the file has no code field at all, each grid goes to the community of P it overlaps
  most and codes are issued in numbering order (west→east, north→south, :func:`geo.number_grids`)
  after the highest sequence ever issued in that community.

Geometry is checked per feature, then per parent (outside the parent, overlapping a sibling, gaps
left in the parent) with slivers thinner than ``tolerance_m`` metres snapped in repair mode.
After a grid import the incidents of the touched communities get their grid again (grid_code only).
"""
from __future__ import annotations

import hashlib
from functools import partial

from flask_babel import gettext as _

from ..accounts.audit import record, reserve_id
from ..core import params as p
from ..core.errors import BadInput, Forbidden, Unprocessable
from ..extensions import db
from ..geo import io as geoio
from ..geo.encoding import codec_of
from ..models import User
from .import_areas import import_boundaries
from .import_incidents import import_incidents
from .import_options import ImportOptions, Report
from .rules import IMPORT_LEVELS, IMPORT_MODES, IMPORT_TOLERANCE_M, IMPORT_TOLERANCE_MAX_M


def _option(parse, value, name: str, message: str):
    """``parse(value, name)`` (a core parser); its BadInput becomes ``invalid_option`` with
    ``message`` (the import's error code and text)."""
    try:
        return parse(value, name)
    except BadInput:
        raise p.bad(name, message, code="invalid_option") from None


def _flag(value, name: str) -> bool:
    if value in (None, ""):
        return False
    return _option(p.boolean, value if isinstance(value, bool) else str(value), name,
                   _("%(name)s 必须是 0 或 1，收到 %(value)s", name=name, value=repr(value)))


def _tolerance(value) -> float:
    try:
        tol = float(value or IMPORT_TOLERANCE_M)
    except ValueError:
        tol = -1.0
    if not 0 < tol <= IMPORT_TOLERANCE_MAX_M:
        raise p.bad("tolerance_m", _("tolerance_m 必须是 0 到 %(max)s 之间的米数", max=f"{IMPORT_TOLERANCE_MAX_M:g}"),
                    code="invalid_option")
    return tol


def parse_options(form, extent: tuple[float, float, float, float]) -> ImportOptions:
    """ImportOptions from a mapping of strings (multipart form or CLI): level (district | township |
    community | grid | incident), parent_code, mode (dry_run | commit, default dry_run), repair
    (0 | 1), crs ("EPSG:4547"...), gcj02 (0 | 1), code_field, name_field, tolerance_m (metres,
    sliver width snapped in repair mode, default and limit in :mod:`gridapp.boundaries.rules`),
    category_code (incidents without a category column), encoding (a Shapefile's text encoding,
    e.g. GB18030, overriding its .cpg), layer (of a GeoPackage or FlatGeobuf file). ``extent``:
    (min_lon, min_lat, max_lon, max_lat) degrees, the setting ``IMPORT_EXTENT``. Raises BadInput naming the option
    (``invalid_level``; ``invalid_option`` for the others)."""
    level = p.area_level((form.get("level") or "").strip(), IMPORT_LEVELS)
    mode = (form.get("mode") or "dry_run").strip()
    mode = _option(partial(p.choice, allowed=IMPORT_MODES), mode, "mode",
                   _("mode 必须是 dry_run 或 commit，收到 %(value)s", value=repr(mode)))
    return ImportOptions(level=level, parent_code=(form.get("parent_code") or "").strip() or None, mode=mode,
                         repair=_flag(form.get("repair"), "repair"), crs=(form.get("crs") or "").strip() or None,
                         gcj02=_flag(form.get("gcj02"), "gcj02"), code_field=form.get("code_field") or None,
                         name_field=form.get("name_field") or None, tolerance_m=_tolerance(form.get("tolerance_m")),
                         category_code=(form.get("category_code") or "").strip() or None, extent=tuple(extent),
                         encoding=_encoding(form.get("encoding")),
                         layer=p.text(form.get("layer"), "layer", 128, required=False))


def _encoding(value) -> str | None:
    value = (value or "").strip()
    if value and codec_of(value) is None:
        raise p.bad("encoding", _("encoding 不是已知的编码：%(value)s（例如 UTF-8、GB18030、GBK）",
                                  value=repr(value)[:40]), "invalid_option")
    return value or None


def require_admin(user: User) -> None:
    """Raise Forbidden (403) unless the user is an admin (imports are admin-only); callers check
    this before looking at the options, so others learn nothing about them."""
    if user.role != "admin":
        raise Forbidden(_("只有系统管理员可以导入数据"), code="admin_only")


def import_file(user: User, data: bytes, filename: str, options: ImportOptions) -> dict:
    """Import one file as ``options`` say; return the report as a dict: {"level", "mode",
    "created", "replaced", "repaired": [{index, code, name, fix}], "refused": [{index, code, name,
    reason}], "notes", "moved" (rows of located tables moved to another grid, each with its
    "moved" history row), "import_id", "committed"}. Index is the 0-based feature (or data row).

    One transaction: committed only with mode=commit and nothing refused; otherwise rolled back.
    Every run — dry, refused, unreadable or committed — writes one audit row (action ``import``:
    who, when, file name and sha256, level, mode, counts, outcome; issue 18), committed with the
    import or, when the import is rolled back, on its own.
    Raises Forbidden (not an admin), BadInput (bad options or parent), Unprocessable (422,
    code unreadable_file) when the file as a whole cannot be read.
    """
    require_admin(user)
    report = Report(options.level, options.mode)
    run = {"file": (filename or "")[:200], "sha256": hashlib.sha256(data).hexdigest(), "level": options.level,
           "mode": options.mode}
    report.import_id, report.actor_id = reserve_id(), user.id  # the rows it moves name it
    try:
        if options.level == "incident":
            import_incidents(user, data, filename, options, report)
        else:
            import_boundaries(data, filename, options, report)
    except geoio.ReadError as err:
        db.session.rollback()
        _audit(user, options, run, report.import_id, {"outcome": "unreadable", "reason": str(err)[:300]})
        raise Unprocessable(_("无法读取文件：%(reason)s", reason=str(err)), code="unreadable_file") from None
    except Exception:
        db.session.rollback()
        raise
    counts = {"created": report.created, "replaced": report.replaced, "refused": len(report.refused),
              "repaired": len(report.repaired), "moved": report.moved}
    if report.refused or options.mode != "commit":
        db.session.rollback()  # its audit row is committed alone, below
    _audit(user, options, run, report.import_id, {**counts, "outcome": "committed" if report.as_dict()["committed"]
                                                   else "refused" if report.refused else "dry_run"})
    return report.as_dict()


def _audit(user: User, options: ImportOptions, run: dict, entry_id: int, outcome: dict) -> None:
    """Write the run's audit row (id reserved at its start) and commit: with the import, or alone
    after the import was rolled back."""
    record(user, "import", "import", None, options.parent_code, entry_id=entry_id, **run, **outcome)
    db.session.commit()
