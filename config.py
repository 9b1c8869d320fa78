"""Configuration classes, read from environment variables.

Select one with ``GRIDAPP_CONFIG`` = ``development`` (default), ``production`` or ``test``.

Settings (environment variables):

* ``DATABASE_URL`` — SQLAlchemy URL of a PostGIS database, e.g.
  ``postgresql+psycopg://user:pw@host/gridapp``. ``make run`` / ``make test`` set it to a private
  socket-only cluster when it is unset.
* ``SECRET_KEY`` — required in production; in development a random key is kept in the instance folder.
* ``GRIDAPP_BASEMAP`` — the base map preset (gridapp/maps/basemaps.py): ``none`` (default: no base
  map, the maps draw area and grid outlines), ``tianditu``, ``amap`` (GCJ-02, shifted for display),
  ``osm``, ``xyz`` (the template below; chosen too when it is set and no preset is) or ``mbtiles``
  (an offline package in the instance folder, served by the app).
* ``GRIDAPP_TILES_URL`` — the ``xyz`` preset's tile URL template (``https://host/{z}/{x}/{y}.png``,
  ``{s}`` for a subdomain); empty (default): none.
* ``GRIDAPP_TILES_SUBDOMAINS`` — the values of ``{s}``: characters (default ``abc``) or a
  comma-separated list.
* ``GRIDAPP_TILES_ATTRIBUTION`` — attribution shown with those tiles.
* ``GRIDAPP_TIANDITU_KEY`` — the 天地图 key (tk) of the ``tianditu`` preset.
* ``GRIDAPP_TIANDITU_LAYER`` — ``vec`` (default: vector map + cva labels) or ``img`` (imagery + cia).
* ``GRIDAPP_TIANDITU_ROOT`` — the 天地图 service root (default ``https://t{s}.tianditu.gov.cn``,
  hosts t0–t7; a proxy or intranet mirror otherwise).
* ``GRIDAPP_MBTILES`` — file name of the ``mbtiles`` preset's package in the instance folder
  (default ``basemap.mbtiles``).
* ``GRIDAPP_TIMEZONE`` — the local zone (IANA name, default ``Asia/Shanghai``): times are stored in
  UTC and shown, and local days (deadlines, report periods) counted, in it.
* ``GRIDAPP_DEMO_PASSWORD`` — password of the demo users (development only).
* ``GRIDAPP_TOKEN_HOURS`` — lifetime of API tokens in hours (default 12).
* ``GRIDAPP_IMPORT_EXTENT`` — ``min_lon,min_lat,max_lon,max_lat`` (degrees): imported boundaries and
  points outside it are refused; default China's extent ``73.4,3.8,135.1,53.6``.
* ``GRIDAPP_PROXY_FIX`` — ``1`` when served behind one reverse proxy that sets X-Forwarded-For,
  -Proto and -Host (nginx in front of gunicorn).
* ``GRIDAPP_RATELIMIT_STORAGE`` — where the login throttles count (Flask-Limiter storage URI):
  ``memory://`` (default; one host, counters per worker process) or a store shared by every
  worker and host, e.g. ``redis://redis-host:6379/0`` (needs the ``redis`` package).
* ``GRIDAPP_DB_PING_AFTER_IDLE_S`` — seconds of idleness after which a pooled connection is pinged
  before use (default 5; 0: never).
* ``GRIDAPP_DB_PREPARE`` — ``0`` turns off server-side prepared statements (default ``1``).
* ``GRIDAPP_DB_PARALLEL_WORKERS`` — PostgreSQL's ``max_parallel_workers_per_gather`` for the app's sessions
  (default 0: requests read pre-aggregated rows; raise it on a large server with long raw reports).
* ``GRIDAPP_MAP_TILE_MIN_GRIDS`` — from this many grids in scope the map pages use vector tiles and
  server-side clusters (default 2000).
* ``GRIDAPP_MAP_MAX_POINTS`` — the case map draws incidents one by one up to this many in the view
  (default 500).
* ``GRIDAPP_PHOTO_MAX_BYTES`` — the largest photo upload in bytes (default 10 MB).
* ``GRIDAPP_GPS_ACCURACY_WARN_M`` — the phone asks to confirm a GPS fix worse than this (metres, default 50).
* ``GRIDAPP_PHOTO_MAX_SIDE_PX`` — the phone compresses photos to this longest side (pixels, default 2000).
* ``GRIDAPP_REMINDER_CHANNELS`` — delivery channels of the reminder job beyond the in-app centre,
  comma-separated names of :data:`gridapp.reminders.service.CHANNELS` (default ``log``).
* ``GRIDAPP_SMTP_HOST``, ``GRIDAPP_SMTP_PORT``, ``GRIDAPP_SMTP_SENDER`` — the SMTP server (default
  ``localhost``, ``25``) and sender address of the e-mail channel (issue 22).
* ``GRIDAPP_WEBHOOK_HOSTS`` — the hosts a user's robot webhook may point at, comma-separated
  (default: :data:`gridapp.notifications.rules.WEBHOOK_HOSTS`, the WeCom and DingTalk robots).
* ``GRIDAPP_BASE_URL`` — the site's address, put before the links in e-mails and robot messages
  (default empty: paths only).
* ``GRIDAPP_IMPORT_DIR`` — where uploaded files wait for their import job (default
  ``<instance>/imports``).
"""
from __future__ import annotations

import os


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    """Development defaults."""

    ENV_NAME = "development"
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Pooled connections idle longer than this are pinged before use (gridapp.extensions.ping_when_idle).
    DB_PING_AFTER_IDLE_S = float(_env("GRIDAPP_DB_PING_AFTER_IDLE_S", "5"))
    #: Server-side prepared statements (psycopg's prepare_threshold); off for old transaction poolers.
    DB_PREPARE = _env("GRIDAPP_DB_PREPARE", "1") == "1"
    #: PostgreSQL's max_parallel_workers_per_gather for the app's sessions. 0: requests read
    #: pre-aggregated rows (issue 23), and starting a parallel worker (5–8 ms measured on the city
    #: bench) costs more than those reads and takes a core from concurrent requests; raise it on a
    #: large server whose long reports scan raw cases.
    DB_PARALLEL_WORKERS = int(_env("GRIDAPP_DB_PARALLEL_WORKERS", "0"))
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    #: The local zone: times are stored in UTC and shown, and local days counted, in this zone.
    LOCAL_TIMEZONE = _env("GRIDAPP_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_TIMEZONE = LOCAL_TIMEZONE
    LANGUAGES = ("zh_Hans_CN", "en")
    #: The base map preset (gridapp/maps/basemaps.py); "" → xyz when TILES_URL is set, else none.
    BASEMAP = _env("GRIDAPP_BASEMAP", "")
    TILES_URL = _env("GRIDAPP_TILES_URL", "")
    TILES_SUBDOMAINS = _env("GRIDAPP_TILES_SUBDOMAINS", "abc")
    TILES_ATTRIBUTION = _env("GRIDAPP_TILES_ATTRIBUTION", "")
    TIANDITU_KEY = _env("GRIDAPP_TIANDITU_KEY", "")
    TIANDITU_LAYER = _env("GRIDAPP_TIANDITU_LAYER", "vec")
    TIANDITU_ROOT = _env("GRIDAPP_TIANDITU_ROOT", "https://t{s}.tianditu.gov.cn")
    MBTILES_FILE = _env("GRIDAPP_MBTILES", "basemap.mbtiles")
    TOKEN_HOURS = int(_env("GRIDAPP_TOKEN_HOURS", "12"))
    PROXY_FIX = _env("GRIDAPP_PROXY_FIX", "0") == "1"
    RATELIMIT_STORAGE_URI = _env("GRIDAPP_RATELIMIT_STORAGE", "memory://")
    IMPORT_EXTENT = tuple(float(v) for v in _env("GRIDAPP_IMPORT_EXTENT", "73.4,3.8,135.1,53.6").split(","))
    REMINDER_CHANNELS = _env("GRIDAPP_REMINDER_CHANNELS", "log")
    #: The e-mail channel's SMTP server and sender; links in messages start with BASE_URL.
    SMTP_HOST = _env("GRIDAPP_SMTP_HOST", "localhost")
    SMTP_PORT = int(_env("GRIDAPP_SMTP_PORT", "25"))
    SMTP_SENDER = _env("GRIDAPP_SMTP_SENDER", "gridapp@localhost")
    BASE_URL = _env("GRIDAPP_BASE_URL", "")
    WEBHOOK_HOSTS = _env("GRIDAPP_WEBHOOK_HOSTS", "")
    #: Where uploaded files wait for their import job (empty: <instance>/imports).
    IMPORT_DIR = _env("GRIDAPP_IMPORT_DIR", "")
    #: From this many grids in a user's scope the map pages draw vector tiles and server-side clusters.
    MAP_TILE_MIN_GRIDS = int(_env("GRIDAPP_MAP_TILE_MIN_GRIDS", "2000"))
    #: The case map draws incidents one by one (with a heat-map toggle) up to this many in the view.
    MAP_MAX_POINTS = int(_env("GRIDAPP_MAP_MAX_POINTS", "500"))
    #: The largest photo upload, in bytes (gridapp.incidents.photos).
    PHOTO_MAX_BYTES = int(_env("GRIDAPP_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
    #: The phone (issue 19): a GPS fix worse than this many metres asks for confirmation before queueing.
    GPS_ACCURACY_WARN_M = float(_env("GRIDAPP_GPS_ACCURACY_WARN_M", "50"))
    #: The phone compresses photos before upload to this longest side, in pixels.
    PHOTO_MAX_SIDE_PX = int(_env("GRIDAPP_PHOTO_MAX_SIDE_PX", "2000"))
    DEMO_USERS = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    WTF_I18N_ENABLED = True  # WTForms' own messages in the Flask-Babel locale (zh by default)
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024


class TestConfig(Config):
    """Settings for the test suite: the database is the throwaway cluster of the test run."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = True


class ProductionConfig(Config):
    """Production: no default secret, no demo users, secure cookies (serve behind HTTPS)."""

    ENV_NAME = "production"
    DEMO_USERS = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {"development": Config, "production": ProductionConfig, "test": TestConfig}


def get_config(name: str | None = None) -> type[Config]:
    """Return the configuration class named by ``name`` or ``GRIDAPP_CONFIG``.

    Raises KeyError for an unknown name.
    """
    return CONFIGS[name or _env("GRIDAPP_CONFIG", "development")]
