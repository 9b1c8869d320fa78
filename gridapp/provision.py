"""Private PostgreSQL/PostGIS cluster for ``make run`` and ``make test`` (stdlib only).

Usage (prints the database URL on stdout, messages on stderr)::

    python -m gridapp.provision start [--dir DIR] [--throwaway]   # ensure PostGIS, init, start
    python -m gridapp.provision stop [--dir DIR]
    python -m gridapp.provision ensure-chromium                   # for the browser tests

The cluster listens on a Unix socket only (``listen_addresses=''``), under ``DIR`` (default
``$GRIDAPP_PGDIR`` or ``/var/tmp/gridapp-pg``: short, outside the repository, enterable by the
``postgres`` user). Starting is idempotent: an existing cluster and its data are reused.
As root, ``initdb``/``pg_ctl`` run as ``postgres`` through ``runuser`` (initdb refuses root) and
missing Debian packages are installed; otherwise a missing package stops with the exact
``apt-get`` command to run.
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_DIR = "/var/tmp/gridapp-pg"
DB_NAME = "gridapp"


class ProvisionError(RuntimeError):
    """Provisioning cannot go on; the message says what to do."""


def _say(msg: str) -> None:
    print(f"[provision] {msg}", file=sys.stderr, flush=True)


def _is_root() -> bool:
    return os.geteuid() == 0


def _apt_install(packages: list[str]) -> None:
    cmd = "apt-get install -y --no-install-recommends " + " ".join(packages)
    if not _is_root():
        raise ProvisionError(f"missing Debian packages; install them as root: {cmd}")
    _say(f"installing {' '.join(packages)} (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(cmd.split(), check=True, env=env, stdout=subprocess.DEVNULL)


def _versions() -> list[str]:
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    return sorted((p.split("/")[4] for p in found), key=int, reverse=True)


def ensure_postgis() -> Path:
    """Make sure a PostgreSQL server with PostGIS 3 is installed; return its bin directory.

    Raises ProvisionError (with the apt-get command) when not root and something is missing.
    """
    versions = _versions()
    if not versions:
        _apt_install(["postgresql", "postgresql-15-postgis-3"])
        versions = _versions()
    version = versions[0]
    if not Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
        _apt_install([f"postgresql-{version}-postgis-3"])
    return Path(f"/usr/lib/postgresql/{version}/bin")


def ensure_chromium() -> str:
    """Make sure Debian's chromium is installed (browser tests); return its path."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        _apt_install(["chromium"])
        path = "/usr/bin/chromium"
    return path


def _as_owner(cmd: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run a server command as the cluster's owner (``postgres`` when we are root)."""
    if _is_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=check, **kw)


def _owned_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if _is_root():
        shutil.chown(path, "postgres", "postgres")


def url_for_dir(base: Path, db_name: str = DB_NAME) -> str:
    """SQLAlchemy URL of the database ``db_name`` in the cluster under ``base``."""
    return f"postgresql+psycopg://postgres@/{db_name}?host={base / 'sock'}"


def _psql(bindir: Path, base: Path, sql: str, db: str = "postgres") -> str:
    out = subprocess.run([str(bindir / "psql"), "-h", str(base / "sock"), "-U", "postgres", "-d", db,
                          "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def create_database(bindir: Path, base: Path, name: str) -> None:
    """Create database ``name`` (if missing) with the postgis extension."""
    if _psql(bindir, base, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
        _psql(bindir, base, f'CREATE DATABASE "{name}"')
    _psql(bindir, base, "CREATE EXTENSION IF NOT EXISTS postgis", db=name)


def start(base: Path, throwaway: bool = False) -> str:
    """Initialise (once) and start (if stopped) the cluster under ``base``; create the
    ``gridapp`` database with PostGIS; return its URL. ``throwaway`` turns durability off
    (fsync, synchronous_commit, full_page_writes) for test clusters. Raises ProvisionError when the
    server's user cannot reach ``base`` (a closed folder above it) or its socket path is too long."""
    bindir = ensure_postgis()
    base = base.resolve()
    if len(str(base / "sock" / ".s.PGSQL.5432")) > 100:
        raise ProvisionError(f"{base} is too long for a Unix socket path; choose a shorter GRIDAPP_PGDIR")
    data, sock = base / "data", base / "sock"
    _owned_dir(base)
    if _as_owner(["test", "-w", str(base), "-a", "-x", str(base)], check=False, cwd="/").returncode != 0:
        raise ProvisionError(
            f"the server's user (postgres) cannot reach {base}: a folder above it is closed to other users "
            "(e.g. one made by mktemp -d, mode 0700). Choose a GRIDAPP_PGDIR it can reach (the default "
            "/var/tmp/gridapp-pg) or open the folders above it to others (chmod o+x)")
    if not (data / "PG_VERSION").exists():
        _say(f"initialising a private PostgreSQL cluster in {data}")
        _as_owner([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C.UTF-8"], stdout=subprocess.DEVNULL)
    _owned_dir(sock)
    if _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "status"], check=False,
                 capture_output=True).returncode != 0:
        opts = f"-c listen_addresses='' -k {sock}"
        if throwaway:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _say(f"starting PostgreSQL (socket {sock})")
        _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "postgres.log"),
                   "-w", "-o", opts, "start"], stdout=subprocess.DEVNULL)
    create_database(bindir, base, DB_NAME)
    return url_for_dir(base)


def stop(base: Path) -> None:
    """Stop the cluster under ``base`` if it runs."""
    bindir = ensure_postgis()
    data = base.resolve() / "data"
    if (data / "postmaster.pid").exists():
        _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                  stdout=subprocess.DEVNULL)
        _say(f"stopped PostgreSQL in {data}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gridapp.provision")
    parser.add_argument("command", choices=["start", "stop", "ensure-chromium"])
    parser.add_argument("--dir", default=os.environ.get("GRIDAPP_PGDIR") or DEFAULT_DIR)
    parser.add_argument("--throwaway", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            print(start(Path(args.dir), args.throwaway))
        elif args.command == "stop":
            stop(Path(args.dir))
        else:
            print(ensure_chromium())
    except ProvisionError as err:
        _say(f"error: {err}")
        return 2
    except subprocess.CalledProcessError as err:
        _say(f"error: {' '.join(map(str, err.cmd))} failed (exit {err.returncode}); "
             f"see {Path(args.dir) / 'postgres.log'}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
