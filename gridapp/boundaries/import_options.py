"""The options and the report of one import (shared by the boundary and the incident import)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..core.errors import BadInput
from ..extensions import db
from ..geo import io as geoio
from ..models import AdminArea
from .rules import IMPORT_TOLERANCE_M, PARENT_LEVELS


@dataclass
class ImportOptions:
    """Options of one import (see :func:`parse_options`)."""

    level: str
    parent_code: str | None = None
    mode: str = "dry_run"
    repair: bool = False
    crs: str | None = None
    gcj02: bool = False
    code_field: str | None = None
    name_field: str | None = None
    tolerance_m: float = IMPORT_TOLERANCE_M
    category_code: str | None = None
    extent: tuple = geoio.CHINA_EXTENT
    encoding: str | None = None
    layer: str | None = None
    #: Called as progress(rows done, rows in all) while an incident table is checked (a job's
    #: progress; it may raise to cancel: the import's transaction is then rolled back).
    progress: Callable[[int, int], None] | None = field(default=None, compare=False, repr=False)


@dataclass
class Report:
    """The import report: counts, repairs and refusals (each {index, code, name, reason})."""

    level: str
    mode: str
    created: int = 0
    replaced: int = 0
    repaired: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    moved: int = 0
    import_id: int | None = None
    actor_id: int | None = None

    def as_dict(self) -> dict:
        """The report as JSON (see :func:`gridapp.boundaries.imports.import_file`)."""
        return {"level": self.level, "mode": self.mode, "created": self.created, "replaced": self.replaced,
                "repaired": self.repaired, "refused": self.refused, "notes": self.notes, "moved": self.moved,
                "import_id": self.import_id, "committed": self.mode == "commit" and not self.refused}

    def refuse(self, index, code, name, reason) -> None:
        """Record a refused feature or row (index 0-based)."""
        self.refused.append({"index": index, "code": code, "name": name, "reason": reason})


def parent_area(options: ImportOptions) -> AdminArea | None:
    """The parent area an import at ``options.level`` goes under (None for a district, incidents).
    Raises BadInput ``invalid_parent`` unless ``parent_code`` names an area of an allowed level."""
    allowed = PARENT_LEVELS[options.level]
    if not allowed:
        return None
    parent = db.session.get(AdminArea, options.parent_code) if options.parent_code else None
    if parent is None or parent.level not in allowed:
        raise BadInput(_("导入 %(level)s 需要 parent_code：一个 %(allowed)s 的代码，收到 %(value)s",
                         level=options.level, allowed=" / ".join(allowed), value=repr(options.parent_code)),
                       code="invalid_parent")
    return parent
