"""Real OGC API – Features clients read every collection with the right feature counts (issue 21):
GDAL's OAPIF driver (through pyogrio, as QGIS does) and OWSLib, over HTTP against the live server,
authenticated by HTTP Basic with an API key (the password), as desktop GIS sends it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import api_token
from owslib.ogcapi.features import Features
from owslib.util import Authentication
from sqlalchemy import func, select

from gridapp.boundaries.ogc_collections import COLLECTIONS
from gridapp.extensions import db
from gridapp.models import User


def _expected(app) -> dict[str, int]:
    """What the district user may read of each collection, counted in the database (the live server
    works on committed data: no test transaction here)."""
    with app.app_context():
        district = db.session.scalar(select(User).where(User.username == "district"))
        counts = {cid: db.session.scalar(select(func.count()).select_from(c.model).where(c.readable(district)))
                  for cid, c in COLLECTIONS.items()}
        db.session.remove()
    return counts


def test_gdal_and_owslib_read_every_collection(live_server, app):
    key, expected = api_token(live_server, "district"), _expected(app)
    assert expected["grids"] > 0 and expected["communities"] > 0
    owslib = Features(f"{live_server}/ogcapi", auth=Authentication(username="qgis", password=key))
    assert [c["id"] for c in owslib.collections()["collections"]] == list(COLLECTIONS)
    for cid, count in expected.items():
        assert owslib.collection_items(cid, limit=1)["numberMatched"] == count, cid
        assert len(owslib.collection_items(cid, limit=10_000)["features"]) == count, cid
    # GDAL in a process of its own, as a desktop client is (in this process its reads would hold the
    # interpreter lock the live server needs to answer them)
    counted = subprocess.run([sys.executable, "-c", GDAL_CLIENT, f"OAPIF:{live_server}/ogcapi"], check=True,
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "GDAL_HTTP_USERPWD": f"qgis:{key}", "GDAL_HTTP_AUTH": "BASIC"})
    assert json.loads(counted.stdout) == expected


#: Lists the layers of an OGC API with GDAL's OAPIF driver and counts each one's features.
GDAL_CLIENT = """
import json, sys
import pyogrio, pyogrio.raw
source = sys.argv[1]
print(json.dumps({name: len(pyogrio.raw.read(source, layer=name)[2]) for name, _type in pyogrio.list_layers(source)}))
"""
