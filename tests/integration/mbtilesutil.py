"""One writer of MBTiles packages (MBTiles 1.3: SQLite file, tables metadata and tiles) for the
tests of the offline base map; tiles given in XYZ order, stored with the TMS row MBTiles uses."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path


def write_mbtiles(path: Path, metadata: dict[str, str], tiles: Iterable[tuple[int, int, int, bytes]]) -> int:
    """Write (replace) the package at ``path``: ``metadata`` (format, minzoom, maxzoom, bounds …) and
    ``tiles`` as (z, x, y from the north, data). Returns how many tiles were written."""
    path.unlink(missing_ok=True)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", list(metadata.items()))
        rows = [(z, x, 2 ** z - 1 - y, data) for z, x, y, data in tiles]
        conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
        conn.commit()
    return len(rows)
