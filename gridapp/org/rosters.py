"""Rosters in and out: import members, workers and stationed units from Excel (.xlsx) or CSV
(UTF-8, with or without BOM) with row-level errors and all-or-nothing writes; export a community's
roster to Excel with phones and ID numbers stored as text.

Columns (first row = headers, Chinese; English keys also accepted):

* members: 姓名 name, 类型 kind (居民党员 | 在职党员 | 社会组织党员 | 党员志愿者), 角色 role (党小组长 |
  党员), 电话 phone, 身份证号 id_number, 网格编码 grid_code, 所在单位 home_unit, 报到日期 reported_on
  (在职党员: both required);
* workers: 姓名, 类型 (专职 | 兼职), 电话, 身份证号, 网格编码 (several separated by , or ，; the first is primary);
* units: 单位名称 name, 单位类型 unit_type, 兼职委员 seat_person, 职务 seat_title, 任职日期 seat_start_on.

Every row is checked before anything is written; any error → BadInput (400) with
``details={"rows": [{"row": n, "column": header, "reason": text}]}`` (row numbers as in the file,
header = row 1) and nothing written. A good file is written in one transaction, audited once.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from ..accounts import audit, pii
from ..accounts.rules import PII_FIELDS
from ..core import tabular
from ..core.errors import BadInput, Forbidden
from ..extensions import db
from ..geo import io as geoio
from ..models import CommitteeSeat, Grid, GridWorker, PartyMember, StationedUnit, User, WorkerGrid
from . import access as org_access
from . import members as org_members

MAX_ROWS = 5000
KINDS = ("members", "workers", "units")
COLUMNS = {
    "members": {"姓名": "name", "类型": "kind", "角色": "role", "电话": "phone", "身份证号": "id_number",
                "网格编码": "grid_code", "所在单位": "home_unit", "报到日期": "reported_on"},
    "workers": {"姓名": "name", "类型": "kind", "电话": "phone", "身份证号": "id_number", "网格编码": "grid_codes"},
    "units": {"单位名称": "name", "单位类型": "unit_type", "兼职委员": "seat_person", "职务": "seat_title",
              "任职日期": "seat_start_on"},
}
REQUIRED = {"members": ("name", "kind"), "workers": ("name", "kind", "grid_codes"), "units": ("name",)}
VALUE_NAMES = {
    "kind": {"居民党员": "resident", "在职党员": "in_service", "社会组织党员": "social_org", "党员志愿者": "volunteer",
             "专职": "full_time", "兼职": "part_time"},
    "role": {"党小组长": "leader", "党员": "member", "": "member"},
}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """Rows of the first sheet of an .xlsx file or of a CSV file, as text. BadInput when the
    file cannot be read or has more than :data:`MAX_ROWS` rows."""
    name = (filename or "").lower()
    try:
        if name.endswith(".xlsx"):
            sheet = geoio.load_xlsx(content).worksheets[0]
            rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        elif name.endswith(".csv"):
            rows = [[_cell(v) for v in row] for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))]
        else:
            raise BadInput(_("请上传 .xlsx 或 .csv 文件"), code="bad_file")
    except geoio.ReadError as err:
        raise BadInput(_("文件无法读取：%(reason)s", reason=str(err)), code="bad_file") from None
    except (UnicodeDecodeError, csv.Error, KeyError, OSError, ValueError) as err:
        raise BadInput(_("文件无法读取：%(reason)s", reason=type(err).__name__), code="bad_file") from None
    rows = [r for r in rows if any(r)]
    if len(rows) > MAX_ROWS + 1:
        raise BadInput(_("文件超过 %(n)s 行", n=MAX_ROWS), code="bad_file")
    return rows


def _records(kind: str, rows: list[list[str]], errors: list[dict]) -> list[tuple[int, dict, dict]]:
    """(row number, record by key, header by key) for each data row; header problems go to errors."""
    if not rows:
        errors.append({"row": 1, "column": "", "reason": _("文件为空")})
        return []
    mapping = {**COLUMNS[kind], **{v: v for v in COLUMNS[kind].values()}}
    header = [mapping.get(h) for h in rows[0]]
    labels = {v: k for k, v in COLUMNS[kind].items()}
    for key in REQUIRED[kind]:
        if key not in header:
            errors.append({"row": 1, "column": labels[key], "reason": _("缺少此列")})
    out = []
    for n, row in enumerate(rows[1:], start=2):
        out.append((n, {k: (row[i] if i < len(row) else "") for i, k in enumerate(header) if k}, labels))
    return out


def _check_row(user: User, kind: str, community: str, record: dict, grids: set[str]) -> tuple[str, str] | None:
    """(key, reason) of the first problem of a record, or None."""
    for key in REQUIRED[kind]:
        if not record.get(key):
            return key, _("不能为空")
    if "kind" in record:
        if record["kind"] not in VALUE_NAMES["kind"] and record["kind"] not in VALUE_NAMES["kind"].values():
            return "kind", _("无法识别的类型 %(value)s", value=record["kind"])
        record["kind"] = VALUE_NAMES["kind"].get(record["kind"], record["kind"])
        allowed = ("full_time", "part_time") if kind == "workers" else \
            ("resident", "in_service", "social_org", "volunteer")
        if record["kind"] not in allowed:
            return "kind", _("无法识别的类型 %(value)s", value=record["kind"])
    if kind == "members":
        role = record.get("role", "")
        if role not in VALUE_NAMES["role"] and role not in ("leader", "member"):
            return "role", _("无法识别的角色 %(value)s", value=role)
        record["role"] = VALUE_NAMES["role"].get(role, role)
        if record.get("grid_code") and record["grid_code"] not in grids:
            return "grid_code", _("网格 %(code)s 不属于本社区", code=record["grid_code"])
        if record["kind"] == "in_service":
            for key in ("home_unit", "reported_on"):
                if not record.get(key):
                    return key, _("在职党员必须填写")
    if kind == "workers":
        codes = [c.strip() for c in record["grid_codes"].replace("，", ",").split(",") if c.strip()]
        bad = [c for c in codes if c not in grids]
        if bad or not codes:
            return "grid_codes", _("网格 %(code)s 不属于本社区", code=", ".join(bad))
        record["grid_codes"] = codes
    for key in ("reported_on", "seat_start_on"):
        if record.get(key):
            try:
                record[key] = date.fromisoformat(record[key])
            except ValueError:
                return key, _("日期应为 YYYY-MM-DD")
    for key, parse in (("phone", pii.normalise_phone), ("id_number", pii.normalise_id_number)):
        if key in record:
            try:
                record[key] = parse(record[key])
            except ValueError as err:
                return key, str(err)
    return None


def import_roster(user: User, community_code: str, kind: str, filename: str, content: bytes) -> int:
    """Import one roster file into a community; return the number of rows written.

    Raises Forbidden (403) outside scope, BadInput (400) for an unknown kind, an unreadable file
    or any bad row (``details["rows"]``: row, column, reason); nothing is written then."""
    area = org_access.require_community(user, community_code)
    if kind not in KINDS:
        raise BadInput(_("导入类型必须是 %(kinds)s 之一", kinds=" | ".join(KINDS)), code="invalid_field",
                       details={"field": "kind"})
    grids = set(db.session.scalars(select(Grid.code).where(Grid.community_code == area.code)))
    errors: list[dict] = []
    records = _records(kind, read_table(filename, content), errors)
    for n, record, labels in records:
        problem = _check_row(user, kind, area.code, record, grids)
        if problem:
            errors.append({"row": n, "column": labels.get(problem[0], problem[0]), "reason": problem[1]})
    if errors:
        first = errors[0]
        raise BadInput(_("导入失败，未写入任何数据：共 %(n)s 处错误，第一处在第 %(row)s 行“%(column)s”列：%(reason)s",
                         n=len(errors), **first), code="bad_rows", details={"rows": errors})
    base = {"community_code": area.code, "district_code": area.district_code}
    for _n, r, _labels in records:
        if kind == "members":
            db.session.add(PartyMember(**base, name=r["name"], kind=r["kind"], role=r["role"], phone=r.get("phone"),
                                       id_number=r.get("id_number"), grid_code=r.get("grid_code") or None,
                                       home_unit=r.get("home_unit") or None, reported_on=r.get("reported_on") or None))
        elif kind == "workers":
            db.session.add(GridWorker(**base, name=r["name"], kind=r["kind"], phone=r.get("phone"),
                                      id_number=r.get("id_number"),
                                      grids=[WorkerGrid(grid_code=c, is_primary=i == 0)
                                             for i, c in enumerate(r["grid_codes"])]))
        else:
            seats = [CommitteeSeat(community_code=area.code, person_name=r["seat_person"],
                                   title=r.get("seat_title") or None, start_on=r.get("seat_start_on") or None)] \
                if r.get("seat_person") else []
            db.session.add(StationedUnit(**base, name=r["name"], unit_type=r.get("unit_type") or None, seats=seats))
    audit.record(user, "import", kind, None, area.code, filename=filename, rows=len(records))
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(records)


def export_community(user: User, community_code: str, full: bool = False) -> tuple[io.BytesIO, str]:
    """An .xlsx workbook (sheets 党员, 网格员, 驻区单位) of a community the user may read, and its file
    name. Phones and ID numbers are text cells ("@" format), masked by default; ``full`` (only for
    the roles of :data:`gridapp.accounts.pii.FULL_VIEW_ROLES`, else Forbidden 403) exports full
    values and logs each one (channel "export") in one transaction."""
    area = org_access.require_community(user, community_code)
    if full and not pii.may_see_full(user):
        raise Forbidden(_("您的角色无权查看完整的个人信息"), code="pii_forbidden")
    reveal = PII_FIELDS if full else ()
    wb = Workbook()
    members = wb.active
    members.title = "党员"
    tabular.append_row(members, list(COLUMNS["members"]) + ["党小组编号"])
    names = {v: k for k, v in VALUE_NAMES["kind"].items()}
    roles = {"leader": "党小组长", "member": "党员"}
    for m in org_members.list_members(user, area.code):
        row = org_members.member_dict(user, m, reveal, "export")
        tabular.append_row(members, [row["name"], names[row["kind"]], roles[row["role"]], row["phone"],
                                     row["id_number"], row["grid_code"], row["home_unit"], m.reported_on,
                                     row["group_id"]])
    workers = wb.create_sheet("网格员")
    tabular.append_row(workers, list(COLUMNS["workers"]))
    for w in org_members.list_workers(user, area.code):
        row = org_members.worker_dict(user, w, reveal, "export")
        tabular.append_row(workers, [row["name"], names[row["kind"]], row["phone"], row["id_number"],
                                     ",".join(row["grid_codes"])])
    units = wb.create_sheet("驻区单位")
    tabular.append_row(units, list(COLUMNS["units"]))
    for u in db.session.scalars(select(StationedUnit).where(StationedUnit.community_code == area.code)
                                .order_by(StationedUnit.id)):
        seat = u.seats[0] if u.seats else None
        tabular.append_row(units, [u.name, u.unit_type, seat.person_name if seat else None,
                                   seat.title if seat else None,
                                   seat.start_on if seat else None])
    for sheet, cols in ((members, "DE"), (workers, "CD")):
        for col in cols:
            for cell in sheet[col]:
                cell.number_format = "@"
    out = io.BytesIO(tabular.workbook_bytes(wb))
    audit.record(user, "export", "roster", None, area.code, full=full)
    try:
        db.session.commit()  # the PII view log of a full export and the audit row
    except Exception:
        db.session.rollback()
        raise
    suffix = "" if full else _("_脱敏")
    return out, _("%(name)s党建名册_%(code)s", name=area.name, code=area.code) + suffix + ".xlsx"
