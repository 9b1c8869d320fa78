"""Photos of cases: JPEG, PNG or WebP only (recognised by content, not by name), at most
``PHOTO_MAX_BYTES`` (default 10 MB) and 40 megapixels; stored once by SHA-256 under the instance
folder with a JPEG thumbnail (longest side 320 px, Pillow); the EXIF GPS position (WGS84) is
returned so that a form can offer it as the incident's location. Everything else is refused
with a specific error and nothing is written."""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import String, cast, exists, or_, select

from ..core.clock import utcnow
from ..core.errors import BadInput, DomainError, NotFound
from ..extensions import db
from ..models import Incident, IncidentEvent, Photo, PhotoUpload, Place, PlaceEvent, User
from ..places.service import place_filter
from .visibility import visible_filter

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMB_SIZE = (320, 320)
REF_PREFIX = "photo:"


class PhotoTooLarge(DomainError):
    """The upload exceeds the size limit (413)."""

    status, code = 413, "photo_too_large"


@dataclass(frozen=True)
class PhotoSettings:
    """Where photos are kept (``folder``: the instance folder's ``photos``) and the largest upload
    in bytes (the ``PHOTO_MAX_BYTES`` setting); the web and API adapters pass them in."""

    folder: Path
    max_bytes: int = DEFAULT_MAX_BYTES


def paths(settings: PhotoSettings, sha: str, ext: str) -> tuple[Path, Path]:
    """(original, thumbnail) paths of a photo."""
    base = settings.folder / sha[:2]
    return base / f"{sha}.{ext}", base / f"{sha}.thumb.jpg"


def _dms(values, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError):
        return None
    value = d + m / 60 + s / 3600
    return -value if ref in ("S", "W") else value


def exif_gps(img: Image.Image) -> tuple[float, float] | None:
    """(lon, lat) in WGS84 degrees from the EXIF GPS IFD, or None when absent or malformed."""
    try:
        gps = img.getexif().get_ifd(0x8825)
    except Exception:  # noqa: BLE001 - a broken EXIF block is simply no position
        return None
    lat, lon = _dms(gps.get(2), gps.get(1)), _dms(gps.get(4), gps.get(3))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lon, 7), round(lat, 7)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def store(user: User, data: bytes, filename: str | None = None, commit: bool = True, *,
          settings: PhotoSettings) -> Photo:
    """Check and store one uploaded photo (bytes); return its row (committed unless
    ``commit=False``: then the caller's transaction commits it, or a rollback forgets it — the
    file on disk is content-addressed and simply reused by a later upload).

    Raises BadInput ``photo_empty`` / ``photo_type`` (not JPEG/PNG/WebP by content, or corrupt,
    or over 40 megapixels) and PhotoTooLarge (413) over the size limit. The same content
    uploaded twice is stored once; each user who uploads it owns it (:class:`PhotoUpload`).
    """
    limit = settings.max_bytes
    name = filename or _("（未命名）")
    if not data:
        raise BadInput(_("照片 %(name)s 是空文件", name=name), code="photo_empty")
    if len(data) > limit:
        raise PhotoTooLarge(_("照片 %(name)s 超过 %(mb)s MB", name=name, mb=limit // (1024 * 1024)))
    refused = BadInput(_("照片 %(name)s 不是 JPEG、PNG 或 WebP 图片（按文件内容识别），或文件已损坏", name=name),
                       code="photo_type")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in FORMATS or probe.width * probe.height > MAX_PIXELS:
                raise refused
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            gps = exif_gps(img)
            thumb = ImageOps.exif_transpose(img).convert("RGB")
            thumb.thumbnail(THUMB_SIZE)
            width, height = img.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise refused from None
    sha = hashlib.sha256(data).hexdigest()
    content_type, ext = FORMATS[fmt]
    original, thumb_path = paths(settings, sha, ext)
    if not original.exists():
        _write(original, data)
    if not thumb_path.exists():
        buf = io.BytesIO()
        thumb.save(buf, "JPEG", quality=80)
        _write(thumb_path, buf.getvalue())
    photo = db.session.get(Photo, sha)
    if photo is None:
        photo = Photo(sha256=sha, content_type=content_type, size=len(data), width=width, height=height,
                      gps_lon=gps[0] if gps else None, gps_lat=gps[1] if gps else None,
                      uploaded_by=user.id, uploaded_at=utcnow())
        db.session.add(photo)
        db.session.flush()
    if db.session.get(PhotoUpload, (sha, user.id)) is None:
        db.session.add(PhotoUpload(sha256=sha, user_id=user.id, uploaded_at=utcnow()))
        db.session.flush()
    if commit:
        db.session.commit()
    return photo


def photo_dict(photo: Photo) -> dict:
    """JSON of a photo: ref (for attachments), content_type, size (bytes), width, height,
    gps {lon, lat} (WGS84) or null."""
    return {"ref": REF_PREFIX + photo.sha256, "content_type": photo.content_type, "size": photo.size,
            "width": photo.width, "height": photo.height,
            "gps": None if photo.gps_lon is None else {"lon": photo.gps_lon, "lat": photo.gps_lat}}


def readable(user: User, sha, field: str = "photo") -> Photo:
    """A photo the user may view — and attach (issue 18): uploaded by them, or attached to a case
    they may see (an incident: :func:`~gridapp.incidents.visibility.visible_filter`; a place's
    timeline or inspection: a place in their scope). Raises NotFound ``photo_not_found`` naming
    ``field`` otherwise: an absent photo and another scope's photo answer the same."""
    photo = db.session.get(Photo, sha) if isinstance(sha, str) and len(sha) == 64 else None
    if photo is not None and db.session.get(PhotoUpload, (photo.sha256, user.id)) is None:
        ref = REF_PREFIX + photo.sha256
        on_case = select(IncidentEvent.id).join(Incident).where(
            visible_filter(user), cast(IncidentEvent.attachments, String).contains(ref))
        on_place = select(PlaceEvent.id).join(Place, Place.id == PlaceEvent.place_id).where(
            place_filter(user), PlaceEvent.attachments.contains([ref]))
        photo = photo if db.session.scalar(select(or_(exists(on_case), exists(on_place)))) else None
    if photo is None:
        raise NotFound(_("照片 %(ref)s 不存在", ref=REF_PREFIX + str(sha)[:64]), code="photo_not_found", field=field)
    return photo
