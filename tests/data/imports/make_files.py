"""Regenerate the small, fictitious test files of this folder (shapes near 王益区 made up for the
tests, names like 测试区; not real boundaries): ``.venv/bin/python tests/data/imports/make_files.py``."""
from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pyproj
import shapely
from shapely.geometry import box, mapping

HERE = Path(__file__).resolve().parent
SQUARE = box(109.060, 35.080, 109.070, 35.090)  # inside 王益区 (a fictitious test district 990200)


def fc(*features, **extra) -> dict:
    return {"type": "FeatureCollection", **extra, "features": list(features)}


def feat(geometry, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write(name: str, obj, bom: bool = False) -> None:
    text = json.dumps(obj, ensure_ascii=False, indent=1)
    (HERE / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def main() -> None:
    sq = mapping(SQUARE)
    bowtie = {"type": "Polygon", "coordinates": [[[109.06, 35.08], [109.07, 35.09], [109.07, 35.08],
                                                  [109.06, 35.09], [109.06, 35.08]]]}
    write("bowtie.geojson", fc(feat(bowtie, code="990200", name="测试区")))
    write("collapsed_ring.geojson", fc(feat({"type": "Polygon", "coordinates": [[[109.06, 35.08], [109.065, 35.085],
                                            [109.07, 35.09], [109.06, 35.08]]]}, code="990200", name="测试区")))
    write("point.geojson", fc(feat({"type": "Point", "coordinates": [109.06, 35.08]}, code="990200", name="测试区")))
    write("null_and_empty.geojson", fc(feat(None, code="990200", name="测试区"),
                                       feat({"type": "Polygon", "coordinates": []}, code="990201", name="测试二区")))
    write("missing_and_duplicate_code.geojson", fc(feat(sq, code="990200", name="测试区"), feat(sq),
                                                   feat(mapping(box(109.1, 35.08, 109.11, 35.09)), code="990200",
                                                        name="测试区")))
    write("unknown_township_name.geojson", fc(feat(sq, name="不存在街道")))
    write("code_not_in_hierarchy.geojson", fc(feat(sq, code="61020299", name="测试街道")))
    write("code_name_mismatch.geojson", fc(feat(sq, code="610202002", name="七一路街道")))
    write("township_overlapping.geojson", fc(feat(sq, code="610202999", name="测试街道")))
    metres = mapping(box(500000, 3880000, 501000, 3881000))
    write("metres_no_crs.geojson", fc(feat(metres, code="990200", name="测试区")))
    write("outside_extent.geojson", fc(feat(mapping(box(-71.07, 42.35, -71.06, 42.36)), code="990200", name="测试区")))
    # GeoJSON 2008 form: a crs member (CGCS2000 EPSG:4490, taken as 4326), a BOM and Z coordinates
    z = {"type": "Polygon", "coordinates": [[[x, y, 900.0] for x, y in SQUARE.exterior.coords]]}
    write("crs4490_bom_z.geojson", fc(feat(z, code="990200", name="测试区"),
                                      crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}),
          bom=True)
    # projected: CGCS2000 / 3-degree Gauss-Kruger CM 108E (EPSG:4545), declared in the crs member
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
    gk = shapely.transform(SQUARE, lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1])))
    write("projected_4545.geojson", fc(feat(mapping(gk), code="990200", name="测试区"),
                                       crs={"type": "name", "properties": {"name": "EPSG:4545"}}))
    # zipped Shapefiles: GBK attributes without .cpg, UTF-8 with .cpg
    import pyogrio.raw

    for name, encoding, keep_cpg in (("gbk_no_cpg.zip", "GBK", False), ("utf8_with_cpg.zip", "UTF-8", True)):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "test.shp")
            pyogrio.raw.write(path, np.array([shapely.to_wkb(SQUARE)], dtype=object), [
                np.array(["990200"], dtype=object), np.array(["测试区"], dtype=object)],
                fields=["code", "name"], geometry_type="Polygon", crs="EPSG:4326", encoding=encoding,
                driver="ESRI Shapefile")
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                for f in sorted(os.listdir(tmp)):
                    if f.endswith(".cpg") and not keep_cpg:
                        continue
                    zf.write(os.path.join(tmp, f), f)
            (HERE / name).write_bytes(buf.getvalue())
    coords = " ".join(f"{x},{y},0" for x, y in SQUARE.exterior.coords)
    (HERE / "district.kml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>测试区</name>
<ExtendedData><Data name="code"><value>990200</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon>
</Placemark></Document></kml>
""", encoding="utf-8")
    # incidents: GBK CSV with 纬度 before 经度, one row outside every district; Excel with x/y
    rows = "描述,纬度,经度,类别代码\n测试事件一,35.0700,109.0700,0101\n测试事件二,35.0600,109.0800,0102\n"
    (HERE / "incidents_gbk.csv").write_bytes(rows.encode("gbk"))
    (HERE / "incidents_outside.csv").write_bytes((rows + "测试事件三,39.90,116.40,0101\n").encode("utf-8-sig"))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["x", "y", "description"])
    sheet.append([109.07, 35.07, "测试事件"])
    book.save(HERE / "incidents_xy.xlsx")
    shutil.rmtree(HERE / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
