"""Flask extensions, created unbound and initialised in :func:`gridapp.create_app`."""
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every model (SQLAlchemy 2.0 typed mappings)."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
#: Rate limits (only the login throttles of :mod:`gridapp.auth`); storage from the setting
#: ``RATELIMIT_STORAGE_URI`` (memory for one host; a shared store such as Redis for several).
limiter = Limiter(key_func=get_remote_address)
babel = Babel()
#: Response compression (gzip/brotli/zstd, when the client accepts it) of map data and front-end
#: assets only — never of HTML pages, which carry CSRF tokens next to reflected input (BREACH).
compress = Compress()
COMPRESS_MIMETYPES = ["application/json", "application/geo+json", "application/vnd.mapbox-vector-tile",
                      "text/css", "text/javascript", "application/javascript", "image/svg+xml"]


def ping_when_idle(engine, seconds: float) -> None:
    """Check a pooled connection at checkout without a round trip, and ping it only when in doubt.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip per request, ~10 %
    of a busy write path (bench/create.py). Here a connection is pinged only when its socket has
    something to read while idle — a server that shut down, restarted or terminated the backend
    sends its FATAL message and closes, which the idle socket shows at once — or when it has been
    idle for more than ``seconds`` (a firewall may have dropped it silently). A failed ping makes
    the pool replace the connection (``DisconnectionError``: the pool retries with a new one), so
    after a server restart no request gets a dead connection; a request under way at the moment
    of the restart still fails."""
    import select
    import time

    from sqlalchemy import event
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        idle = time.monotonic() - record.info.get("checked_in", float("-inf"))
        try:
            pending = bool(select.select([dbapi_connection.fileno()], [], [], 0)[0])
        except (OSError, ValueError):  # closed socket
            pending = True
        if pending or idle > seconds:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as err:  # any failure: replace the connection
                raise DisconnectionError(f"stale pooled connection: {err}") from err


def database_answers() -> bool:
    """Whether the database answers ``SELECT 1`` now (the health check); a failure rolls back."""
    from sqlalchemy import text

    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return False
    return True
