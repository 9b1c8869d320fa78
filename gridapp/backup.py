"""Backup and restore of the whole database with pg_dump / pg_restore (custom format).

The dump holds schema and data (PostGIS geometry included); restoring replaces the objects of the
target database (``--clean --if-exists``) in a single transaction, so a failed restore leaves the
database as it was.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """pg_dump / pg_restore failed or is missing; the message carries its error output."""


def libpq_uri(sqlalchemy_url: str) -> str:
    """The libpq URI (``postgresql://...``) of a SQLAlchemy database URL."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                                                   reverse=True)), None)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    return str(found)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()}")


def backup(sqlalchemy_url: str, path: Path) -> Path:
    """Dump the database to ``path`` (pg_dump custom format, no owners); return the path."""
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), libpq_uri(sqlalchemy_url)])
    return path


def restore(sqlalchemy_url: str, path: Path) -> None:
    """Restore a dump made by :func:`backup` into the database, replacing what is there.

    One transaction: on error nothing changes. Raises BackupError.
    """
    if not Path(path).is_file():
        raise BackupError(f"no such backup file: {path}")
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", "--dbname", libpq_uri(sqlalchemy_url), str(path)])
