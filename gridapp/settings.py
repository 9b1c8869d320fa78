"""Settings handed to the domain code by the web and API adapters, read from the app's
configuration per request (the domain packages never read ``current_app``)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from .incidents.photos import PhotoSettings
from .notifications.rules import WEBHOOK_HOSTS


def photo_settings() -> PhotoSettings:
    """Where photos are kept (``<instance>/photos``) and the upload limit (``PHOTO_MAX_BYTES``)."""
    return PhotoSettings(Path(current_app.instance_path) / "photos", int(current_app.config["PHOTO_MAX_BYTES"]))


def basemap_settings(config=None) -> dict:
    """The base map's settings (:func:`gridapp.maps.basemaps.resolve`) from ``config`` (default:
    the current app's configuration)."""
    config = current_app.config if config is None else config
    return {"BASEMAP": config["BASEMAP"], "TILES_URL": config["TILES_URL"],
            "TILES_SUBDOMAINS": config["TILES_SUBDOMAINS"], "TILES_ATTRIBUTION": config["TILES_ATTRIBUTION"],
            "TIANDITU_KEY": config["TIANDITU_KEY"], "TIANDITU_LAYER": config["TIANDITU_LAYER"],
            "TIANDITU_ROOT": config["TIANDITU_ROOT"]}


def delivery_settings() -> dict:
    """What the job runner's delivery needs (gridapp.notifications.delivery): the SMTP server and
    sender, the site's address, the reminder job's log channels and the hosts a webhook may point
    at (``WEBHOOK_HOSTS``, comma-separated; empty: the rule's list)."""
    c = current_app.config
    return {"smtp_host": c["SMTP_HOST"], "smtp_port": c["SMTP_PORT"], "smtp_sender": c["SMTP_SENDER"],
            "base_url": c["BASE_URL"], "reminder_channels": c["REMINDER_CHANNELS"],
            "webhook_hosts": webhook_hosts(c)}


def webhook_hosts(config=None) -> tuple[str, ...]:
    """The hosts a webhook may point at: ``WEBHOOK_HOSTS`` (comma-separated, lower case) or the
    rule's :data:`gridapp.notifications.rules.WEBHOOK_HOSTS`."""
    config = current_app.config if config is None else config
    hosts = tuple(h.strip().lower() for h in (config.get("WEBHOOK_HOSTS") or "").split(",") if h.strip())
    return hosts or WEBHOOK_HOSTS


def import_dir() -> Path:
    """Where uploaded files wait for their import job (``IMPORT_DIR``, default ``<instance>/imports``)."""
    return Path(current_app.config["IMPORT_DIR"] or Path(current_app.instance_path) / "imports")


def export_dir() -> Path:
    """Where export jobs write their files (``<instance>/exports``; the worker and the web server
    must see the same folder)."""
    return Path(current_app.instance_path) / "exports"
