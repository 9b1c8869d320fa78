"""Vector tiles (issue 20): every feature carries an id (its code), and each layer has a TileJSON
document."""
from __future__ import annotations

from caseutil import GRID

TILE = "12/3288/1621"  # holds 红旗社区 of the demo district (tests/integration/coverage/test_map_scale.py)


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not byte & 0x80:
            return value, i


def _fields(data: bytes):
    """(field number, value) of a protobuf message: ints for varints, bytes for length-delimited."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            size, i = _varint(data, i)
            value, i = data[i:i + size], i + size
        else:
            raise AssertionError(f"wire type {wire} is not used by MVT 2.1 tiles of this app")
        yield number, value


def feature_ids(tile: bytes) -> list[int | None]:
    """The id of every feature of every layer of a Mapbox Vector Tile (spec 2.1: Tile.layers = 3,
    Layer.features = 2, Feature.id = 1)."""
    ids = []
    for number, layer in _fields(tile):
        if number == 3:
            for n, feature in _fields(layer):
                if n == 2:
                    ids.append(next((v for k, v in _fields(feature) if k == 1), None))
    return ids


def test_features_carry_their_code_as_id(client, bearer):
    headers = bearer("district")
    for layer in ("grids", "coverage", "communities"):
        ids = feature_ids(client.get(f"/api/v1/tiles/{layer}/{TILE}.pbf", headers=headers).data)
        assert ids and None not in ids and len(set(ids)) == len(ids), layer
        assert (int(GRID) in ids) if layer != "communities" else (int(GRID[:12]) in ids)


def test_tilejson_per_layer(client, bearer):
    headers = bearer("hongqi")
    doc = client.get("/api/v1/tiles/coverage.json", headers=headers).get_json()
    assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
    assert doc["tiles"] == ["http://localhost/api/v1/tiles/coverage/{z}/{x}/{y}.pbf"]
    assert doc["vector_layers"] == [{"id": "coverage", "minzoom": 9, "maxzoom": 22, "fields": {
        "code": "String", "name": "String", "workers": "Number", "build_type": "String", "members": "Number",
        "status": "String"}}]
    west, south, east, north = doc["bounds"]  # the secretary's community, not the district
    assert 108.9 < west < east < 109.2 and 34.9 < south < north < 35.2 and east - west < 0.1
    assert client.get("/api/v1/tiles/communities.json", headers=headers).get_json()["vector_layers"][0]["minzoom"] == 0
    bad = client.get("/api/v1/tiles/roads.json", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "layer"
    assert client.get("/api/v1/tiles/grids.json").status_code == 401
