"""Translated labels of the coverage map layer (issue 4), passed to map.js as JSON data."""
from __future__ import annotations

from flask_babel import gettext as _

from ..coverage.rules import GRID_STATUSES


def coverage_labels() -> dict[str, str]:
    """Labels of the coverage layer, its legend and tooltips."""
    return {"cov_layer": _("网格覆盖"), **{f"cov_{s}": str(v["label"]) for s, v in GRID_STATUSES.items()},
            "cov_workers": _("网格员："), "cov_members": _("党员："), "cov_single": _("单建党小组"),
            "cov_joint": _("联建党小组"), "cov_no_group": _("无党小组")}
