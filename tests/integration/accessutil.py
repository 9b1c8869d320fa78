"""The roles, places and entry type of the access table (tests/integration/test_access.py), and the
entries of the interoperability endpoints (OGC API – Features, Open311)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gridapp.models import LongJob

ALL = ("admin", "district", "township", "secretary", "worker")
OFFICE = ("admin", "district", "township", "secretary")
EDITORS = ("admin", "district")
ADMIN = ("admin",)
FULL_VIEW = ("admin", "secretary")  # full phone / ID numbers (gridapp.accounts.pii)
PUBLIC = ALL + ("anonymous",)
USERS = {"admin": "admin", "district": "district", "township": "hongqijie", "secretary": "hongqi",
         "worker": "worker"}
REACH = {"admin": {"grid", "community", "township", "district"},
         "district": {"grid", "community", "township", "district"},
         "township": {"grid", "community", "township"}, "secretary": {"grid", "community"},
         "worker": {"grid"}, "anonymous": set()}
FOUR = ("grid", "community", "township", "district")
PLACES = {"incident": FOUR, "photo": FOUR, "grid": FOUR, "community": FOUR[1:], "group": FOUR[1:],
          "member": FOUR[1:], "worker": FOUR[1:], "dispute": FOUR, "place": FOUR, "notice": FOUR,
          "inspection": FOUR, "import_job": ("district",),
          "export_job": ("district",)}


@dataclass(frozen=True)
class Access:
    """Who may use a route: ``roles`` (``"anonymous"`` included for public routes); ``kind`` of
    the object the route takes (None: none); ``query`` / ``json`` / ``form`` sent, where
    ``{code}`` / ``{grid}`` / ``{community}`` are filled with the object of the place; ``params``:
    values of path parameters that are not objects (else :data:`FIXED`); ``config``: app settings
    for the route (e.g. the base-map preset whose route it is)."""

    roles: tuple[str, ...]
    kind: str | None = None
    query: str = ""
    json: dict | None = None
    form: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)



A = Access
OWN_GRID = "610202002010001"  # the demo worker's grid: every role sees it
JSON = {"fmt": "json"}
#: /ogcapi and /open311: authenticated like the API (bearer; the key of Open311 alike)
INTEROP: dict[tuple[str, str], Access] = {
    ("GET", "/ogcapi/api"): A(PUBLIC),  # the API definition (no data)
    ("GET", "/ogcapi/"): A(ALL), ("GET", "/ogcapi/conformance"): A(ALL), ("GET", "/ogcapi/collections"): A(ALL),
    ("GET", "/ogcapi/collections/<collection_id>"): A(ALL, params={"collection_id": "grids"}),
    ("GET", "/ogcapi/collections/<collection_id>/items"): A(ALL, params={"collection_id": "grids"}),
    ("GET", "/ogcapi/collections/<collection_id>/items/<feature_id>"):
        A(ALL, params={"collection_id": "grids", "feature_id": OWN_GRID}),
    ("GET", "/open311/v2/discovery.<fmt>"): A(PUBLIC, params=JSON),
    ("GET", "/open311/v2/services.<fmt>"): A(PUBLIC, params=JSON),
    ("GET", "/open311/v2/services/<service_code>.<fmt>"):
        A(PUBLIC, params={**JSON, "service_code": "0101"}),
    ("GET", "/open311/v2/requests.<fmt>"): A(ALL, params=JSON),
    ("POST", "/open311/v2/requests.<fmt>"): A(ALL, params=JSON),
    ("GET", "/open311/v2/requests/<incident_id>.<fmt>"): A(ALL, "incident", params=JSON),
    ("GET", "/open311/v2/tokens/<incident_id>.<fmt>"): A(ALL, "incident", params=JSON),
    ("GET", "/open311/v2/servicerequestupdates.<fmt>"): A(ALL, params=JSON),
}

CSV = {"fmt": "csv"}
#: list exports (issue 23): the list's own roles; an area asked for outside the scope is refused
EXPORTS: dict[tuple[str, str], Access] = {
    ("GET", "/cases/export.<any(csv,xlsx,geojson):fmt>"): A(ALL, params=CSV),
    ("GET", "/disputes/export.<any(csv,xlsx,geojson):fmt>"): A(ALL, params=CSV),
    ("GET", "/places/export.<any(csv,xlsx,geojson):fmt>"): A(ALL, params=CSV),
    ("GET", "/notices/export.<any(csv,xlsx,geojson):fmt>"): A(ALL, params=CSV),
    ("GET", "/inspections/export.<any(csv,xlsx,geojson):fmt>"): A(ALL, "grid", query="level=grid&code={code}",
                                                                  params=CSV),
    ("GET", "/org/party-members/export.<any(csv,xlsx,geojson):fmt>"): A(OFFICE, "community",
                                                                       query="community={community}", params=CSV),
    # export jobs (issue 23): every user has their own list; a job (an admin's) is its owner's alone
    ("GET", "/exports"): A(ALL),
    ("GET", "/exports/<int:job_id>"): A(ADMIN, "export_job"),
    ("GET", "/exports/<int:job_id>.json"): A(ADMIN, "export_job"),
    ("POST", "/exports/<int:job_id>/cancel"): A(ADMIN, "export_job", form={}),
    ("GET", "/exports/<int:job_id>/file"): A(ADMIN, "export_job"),
}


def admin_job(tx, admin, kind: str, folder: Path) -> int:
    """An admin's job: an import queued (no file), an export done (its file kept)."""
    now = datetime.now(UTC)
    job = LongJob(kind="import", filename="t.csv", options={}, status="queued", done=0, cancel_requested=False,
                  result={}, created_by=admin.id, created_at=now)
    if kind == "export_job":
        (folder / "t.csv").write_text("编号\n1\n", encoding="utf-8")
        job.kind, job.status, job.done, job.total, job.finished_at = "export", "done", 1, 1, now
        job.path, job.options = str(folder / "t.csv"), {"list": "cases", "format": "csv", "args": {}}
    tx.add(job)
    tx.flush()
    return job.id
