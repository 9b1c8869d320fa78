"""The text encoding of a Shapefile's attributes (pure: bytes in, a codec name out).

Order: the import's ``encoding`` option, the .cpg file, the .dbf's language driver byte, else
detected (UTF-8 when the text decodes as UTF-8, else GB18030 — GBK is common in China). A declared
encoding that fails to decode the text, or a single-byte code page declared for bytes that read
as Chinese in UTF-8 or GB18030 (mojibake), is refused with a message naming the file and the
encoding option to give (issue 18).
"""
from __future__ import annotations

import codecs
import re


class EncodingError(ValueError):
    """The declared encoding is unknown, or does not fit the .dbf's text."""


def _detected(dbf: bytes) -> str:
    """UTF-8 when the .dbf's bytes decode as UTF-8, else GB18030 (GBK is common in China)."""
    try:
        dbf.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


#: The dBase language driver IDs (byte 29 of a .dbf header) that name a code page, as ArcGIS and
#: GDAL write them (GDAL's ogr/ogrsf_frmts/shape/shape2ogr.cpp table, the common ones).
DBF_LANGUAGE_DRIVERS = {0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x4D: "cp936", 0x4E: "cp949", 0x4F: "cp950",
                        0x57: "cp1252", 0x58: "cp1252", 0x59: "cp1252", 0x64: "cp852", 0x7A: "cp936",
                        0x7B: "cp932", 0xC8: "cp1250", 0xC9: "cp1251", 0xCA: "cp1254", 0xCB: "cp1253"}
#: the multi-byte codecs (Python names) in which Chinese text can be written
MULTI_BYTE = frozenset({"utf-8", "gb18030", "gbk", "gb2312", "big5", "cp949", "cp950", "cp932", "euc_kr",
                        "euc_jp", "shift_jis", "utf-16", "hz"})
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def codec_of(name: str) -> str | None:
    """The Python codec a .cpg or encoding option names ("UTF-8", "GBK", "936", "ANSI 936",
    "ISO-8859-1" …), None when unknown."""
    name = name.strip().upper().removeprefix("ANSI").strip()
    if name.isdigit():
        name = "UTF-8" if name == "65001" else f"CP{name}"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _dbf_records(dbf: bytes) -> bytes:
    """The record bytes of a .dbf (after the header whose length bytes 8–9 give)."""
    return dbf[int.from_bytes(dbf[8:10], "little"):] if len(dbf) >= 32 else b""


#: Python codec names → the names GDAL's iconv knows.
GDAL_ENCODINGS = {"utf-8": "UTF-8", "iso8859-1": "ISO-8859-1", "gb18030": "GB18030", "gbk": "GBK"}


def shapefile_encoding(dbf: bytes, cpg: bytes | None, cpg_name: str, dbf_name: str,
                       option: str | None = None) -> tuple[str, str]:
    """The text encoding of a Shapefile's attributes and where it comes from: the import's
    ``encoding`` option, else the .cpg, else the .dbf's language driver byte, else detected (UTF-8
    when the text decodes as UTF-8, else GB18030). Returns (Python codec name, source).

    Raises ReadError naming the file when the declared encoding is unknown, fails to decode the
    .dbf text, or — a single-byte code page (Latin-1, CP1252 …) declared for bytes that are valid
    UTF-8 or GB18030 Chinese — would commit mojibake; the message suggests the encoding option."""
    records = _dbf_records(dbf)
    if option:
        codec, source = codec_of(option), "the encoding option"
        if codec is None:
            raise EncodingError(f"unknown encoding {option!r}: give e.g. UTF-8, GB18030 or GBK")
    elif cpg is not None:
        declared = cpg.decode("ascii", "replace").strip()
        codec, source = codec_of(declared), f"{cpg_name} ({declared})"
        if codec is None:
            raise EncodingError(f"{cpg_name} names an unknown code page {declared!r}: "
                            "give the encoding option (e.g. encoding=UTF-8 or GB18030)")
    elif len(dbf) > 29 and dbf[29] in DBF_LANGUAGE_DRIVERS:
        codec = codec_of(DBF_LANGUAGE_DRIVERS[dbf[29]])
        source = f"the language driver byte of {dbf_name} (0x{dbf[29]:02X})"
    else:
        return codec_of(_detected(records)), "detected"
    try:
        text = records.decode(codec)
    except UnicodeDecodeError:
        raise EncodingError(f"{dbf_name}: the attribute text is not valid {codec} as {source} says; "
                        "give the file's encoding with the encoding option (e.g. encoding=GB18030 or UTF-8)") from None
    if codec not in MULTI_BYTE and not _CJK.search(text) and any(b >= 0x80 for b in records):
        for guess in ("utf-8", "gb18030"):
            try:
                if _CJK.search(records.decode(guess)):
                    raise EncodingError(f"{dbf_name}: {source} declares {codec}, but the text reads as Chinese in "
                                    f"{guess} — importing it as {codec} would store mojibake; give the encoding "
                                    f"option (encoding={guess.upper()}) or correct the .cpg")
            except UnicodeDecodeError:
                continue
    return codec, source
