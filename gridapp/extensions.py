"""Flask extensions, created unbound and initialised in :func:`gridapp.create_app`."""
from flask_babel import Babel
from flask_compress import Compress
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
babel = Babel()
#: Response compression (gzip/brotli/zstd, when the client accepts it) of map data and front-end
#: assets only — never of HTML pages, which carry CSRF tokens next to reflected input (BREACH).
compress = Compress()
COMPRESS_MIMETYPES = ["application/json", "application/geo+json", "application/vnd.mapbox-vector-tile",
                      "text/css", "text/javascript", "application/javascript", "image/svg+xml"]


def ping_when_idle(engine, seconds: float) -> None:
    """Check a pooled connection at checkout only when it has been idle for more than ``seconds``.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip per request, ~10 %
    of a busy write path (bench/create.py). A connection returned a moment ago is as good as
    pinged; one idle longer (the server may have restarted, a firewall dropped it) is pinged, and
    a failed ping makes the pool replace it (``DisconnectionError``: the pool retries with a new
    connection). A server restart while busy costs at most the requests already under way: the
    first disconnect error makes SQLAlchemy recycle the whole pool."""
    import time

    from sqlalchemy import event
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        if time.monotonic() - record.info.get("checked_in", float("-inf")) > seconds:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as err:  # any failure: replace the connection
                raise DisconnectionError(f"stale pooled connection: {err}") from err
