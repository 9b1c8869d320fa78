"""Exports with hostile values: the boundary CSV and the Excel roster neutralise formula-like text,
keep codes and ID numbers as text, strip control characters and name the file in Chinese."""
from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from gridapp.core.errors import BadInput
from gridapp.models import Grid, PartyMember, User
from gridapp.org import members as org_members

HOSTILE = "=HYPERLINK(\"http://x\")\x07<b>${1}`\\"
COMMUNITY = "610202002010"


def _filename(resp) -> str:
    return unquote(resp.headers["Content-Disposition"].split("filename*=UTF-8''")[1])


def test_boundary_csv_neutralises_and_keeps_codes(client, tx, bearer):
    tx.execute(update(Grid).where(Grid.code == "610202002010001").values(name=" " + HOSTILE))
    tx.commit()
    resp = client.get(f"/api/v1/export?level=grid&code={COMMUNITY}&format=csv&excel=1", headers=bearer("district"))
    assert resp.status_code == 200 and resp.data.startswith(b"\xef\xbb\xbf")
    assert _filename(resp) == f"网格_{COMMUNITY}.csv"
    rows = {r["编码"].lstrip("\t"): r for r in csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig")))}
    row = rows["610202002010001"]
    assert row["名称"] == "' " + HOSTILE.replace("\x07", "")
    assert row["编码"] == "\t610202002010001" and row["上级编码"] == "\t610202002010"


def test_roster_export_neutralises_and_keeps_digits(client, tx, login):
    admin = tx.scalar(select(User).where(User.username == "admin"))
    with pytest.raises(BadInput) as refused:  # a control character is refused at entry …
        org_members.add_member(admin, {"community_code": COMMUNITY, "name": "@SUM(1)\x1b" + "${1}",
                                       "kind": "resident"})
    assert refused.value.details == {"field": "name"}
    tx.rollback()
    # … and an export still neutralises one that is stored (older data, a direct database edit)
    member = org_members.add_member(admin, {"community_code": COMMUNITY, "name": "@SUM(1)${1}", "kind": "resident",
                                            "phone": "10012345678", "id_number": "11010519000101002X"})
    tx.execute(update(PartyMember).where(PartyMember.id == member.id).values(name="@SUM(1)\x1b" + "${1}"))
    tx.commit()
    login("hongqi")
    resp = client.get(f"/org/community/{COMMUNITY}/export.xlsx?full=1")
    assert resp.status_code == 200
    assert _filename(resp).endswith(f"党建名册_{COMMUNITY}.xlsx") and "红旗" in _filename(resp)
    ws = load_workbook(io.BytesIO(resp.data))["党员"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value and "SUM" in r[0].value)
    assert row[0].value == "'@SUM(1)${1}" and row[0].data_type == "s"
    assert row[3].value == "10012345678" and row[3].number_format == "@"
    masked = client.get(f"/org/community/{COMMUNITY}/export.xlsx")
    assert _filename(masked).endswith("_脱敏.xlsx")
