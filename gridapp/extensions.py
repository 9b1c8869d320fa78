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
