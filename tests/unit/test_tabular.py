"""The shared export helper: formula-like text neutralised (also after blanks and control
characters), control characters stripped, long digit strings kept as text, safe Chinese names."""
from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from openpyxl import Workbook, load_workbook

from gridapp.core import tabular

HOSTILE = ["=1+2", "+1", "-1+1", "@SUM(A1)", " =cmd|' /C calc'!A0", "\t=HYPERLINK(\"http://x\")",
           "\x01\x02=1", "\u3000=1", "\r\n=1", "=\x00cmd"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_text_is_neutralised(value):
    cleaned = tabular.clean_text(value)
    assert cleaned.startswith("'")
    assert not any(ord(c) < 32 and c != "\n" for c in cleaned)


def test_plain_text_is_kept_and_controls_stripped():
    assert tabular.clean_text("红旗社区 A-1 网格") == "红旗社区 A-1 网格"
    assert tabular.clean_text("a\x07b\x1bc\x85d\r\ne") == "abcd\ne"


def test_csv_cells_for_excel_and_for_machines():
    header, data = ["名称", "编码", "电话", "数"], [["=1+2", "610202002010001", "013800000000", 7],
                                                  ["<b>x</b>${1}`\\", "610202", None, -1.5]]
    body = tabular.csv_bytes(header, data, for_excel=True)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1] == ["'=1+2", "\t610202002010001", "\t013800000000", "7"]
    assert rows[2] == ["<b>x</b>${1}`\\", "610202", "", "-1.5"]
    machines = tabular.csv_bytes(header, data)  # RFC 4180: no byte-order mark, no tabs, CRLF
    assert not machines.startswith(b"\xef\xbb\xbf") and b"\t" not in machines and machines.count(b"\r\n") == 3
    assert list(csv.reader(io.StringIO(machines.decode("utf-8"))))[1] == ["'=1+2", "610202002010001", "013800000000",
                                                                          "7"]


def test_excel_cells_are_text_and_never_formulas():
    wb = Workbook()
    tabular.append_row(wb.active, ["=1+2", "610202002010001234", "@x", 3])
    out = io.BytesIO()
    wb.save(out)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    assert [c.value for c in ws[1]] == ["'=1+2", "610202002010001234", "'@x", 3]
    assert [c.data_type for c in ws[1]] == ["s", "s", "s", "n"]
    assert ws["B1"].number_format == "@"


@pytest.mark.parametrize("name", ["网格_610202002010.csv", '../../etc/"passwd";\r\n.xlsx', "红旗社区党建名册.xlsx"])
def test_content_disposition_keeps_chinese_safely(name):
    header = tabular.content_disposition(name)
    assert header.startswith('attachment; filename="')
    fallback = header.split('"')[1]
    assert fallback and all(c.isascii() and (c.isalnum() or c in "._-") for c in fallback)
    star = unquote(header.split("filename*=UTF-8''")[1])
    assert "/" not in star and "\\" not in star and '"' not in star and "\n" not in star and not star.startswith(".")
    assert all(ch in star for ch in name if "\u4e00" <= ch <= "\u9fff")
