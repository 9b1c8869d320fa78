"""Files GDAL reads (through pyogrio): the layers of a KML, GeoPackage or FlatGeobuf file and the
attribute table of a Shapefile, as :class:`~gridapp.geo.features.RawFeature` lists."""
from __future__ import annotations

import math
import os
import tempfile

import numpy as np
import shapely

from .features import RawFeature, ReadError, ReadResult, geom_or_error


def ogr_features(path: str, encoding: str | None, layer=None) -> tuple[list[RawFeature], str | None]:
    """The features of one layer of the file at ``path`` (attribute text in ``encoding``, None:
    the file's own) and the layer's CRS."""
    import pyogrio.raw

    meta, _fids, geoms, field_data = pyogrio.raw.read(path, layer=layer, encoding=encoding)
    names = list(meta["fields"])
    features = []
    for i, wkb in enumerate(geoms):
        props = {n: _plain(field_data[j][i]) for j, n in enumerate(names)}
        features.append(geom_or_error(i, props, None if wkb is None else shapely.from_wkb(wkb)))
    return features, meta.get("crs")


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def read_kml(data: bytes) -> ReadResult:
    """Features of every layer (Folder) of a KML file, numbered in file order; WGS84 by definition.
    Raises ReadError when GDAL cannot read it."""
    import pyogrio

    with tempfile.TemporaryDirectory(prefix="gridapp-kml") as tmp:
        path = os.path.join(tmp, "input.kml")
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            layers = [row[0] for row in pyogrio.list_layers(path)]
            features: list[RawFeature] = []
            for layer in layers:
                part, _crs = ogr_features(path, None, layer)
                for f in part:
                    f.index = len(features)
                    features.append(f)
        except Exception as err:  # pyogrio raises its own DataSourceError and friends
            raise ReadError(f"cannot read the KML file: {err}") from err
    return ReadResult(features, "EPSG:4326")


#: The single-file formats GDAL reads here: name → (file suffix, GDAL driver).
OGR_FILES = {"geopackage": (".gpkg", "GPKG"), "flatgeobuf": (".fgb", "FlatGeobuf")}


def read_ogr_file(data: bytes, fmt: str, layer: str | None = None) -> ReadResult:
    """The features of one layer of a GeoPackage or FlatGeobuf file (:data:`OGR_FILES`) with its
    CRS. ``layer``: the layer's name; needed when the file has several. Raises ReadError when GDAL
    cannot read the file, or naming the layers when ``layer`` is missing from it or not given for
    a file of several."""
    import pyogrio

    suffix, _driver = OGR_FILES[fmt]
    with tempfile.TemporaryDirectory(prefix="gridapp-ogr") as tmp:
        path = os.path.join(tmp, "input" + suffix)
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            names = [str(row[0]) for row in pyogrio.list_layers(path)]
        except Exception as err:  # pyogrio raises its own DataSourceError and friends
            raise ReadError(f"cannot read the {fmt} file: {err}") from err
        if layer is None and len(names) != 1:
            raise ReadError(f"the file has the layers {', '.join(names) or '(none)'}: choose one with the layer option")
        if layer is not None and layer not in names:
            raise ReadError(f"the file has no layer {layer!r}; its layers: {', '.join(names)}")
        try:
            features, crs = ogr_features(path, None, layer or names[0])
        except Exception as err:
            raise ReadError(f"cannot read the {fmt} file: {err}") from err
    return ReadResult(features, crs)
