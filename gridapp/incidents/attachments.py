"""Attachment references of an action or a report: ``photo:<sha256>`` of uploaded photos."""
from __future__ import annotations

from flask_babel import gettext as _

from ..core.errors import BadInput, NotFound
from ..extensions import db
from ..models import PhotoUpload, User
from .photos import REF_PREFIX, readable


def check_attachment_refs(items) -> list:
    """The form of attachment references (None: none): a list of strings of at most 200
    characters; returns the list. Raises BadInput ``invalid_attachments``."""
    items = items or []
    if not isinstance(items, list) or not all(isinstance(a, str) and len(a) <= 200 for a in items):
        raise BadInput(_("附件 (attachments) 必须是文件引用的列表"), code="invalid_attachments", field="attachments")
    return items


def check_attachments(user: User, items) -> list:
    """Validate attachment references: a list of ``photo:<sha256>`` of photos the user may attach —
    the read rule of :func:`gridapp.incidents.photos.readable` (uploaded by them, or already on a
    case or place they may see). Raises BadInput ``invalid_attachments`` (not a list of
    ``photo:`` references) or NotFound ``photo_not_found`` (absent or another scope's photo)."""
    items = check_attachment_refs(items)
    for ref in items:
        if not ref.startswith(REF_PREFIX):
            raise BadInput(_("附件 %(ref)s 不是已上传的照片", ref=ref), code="invalid_attachments",
                           field="attachments")
        readable(user, ref[len(REF_PREFIX):], "attachments")
    return items


def require_uploaded(user_id: int, refs: list[str]) -> None:
    """The rule of a new report's photos: each ``photo:<sha256>`` was uploaded by the reporter
    (a report is made by its reporter alone, so the read rule's "on a case they may see" does not
    apply). Raises BadInput ``invalid_attachments`` or NotFound ``photo_not_found`` (field
    ``photos``) for the first reference that fails."""
    for ref in refs:
        if not ref.startswith(REF_PREFIX):
            raise BadInput(_("附件 %(ref)s 不是已上传的照片", ref=ref), code="invalid_attachments", field="photos")
        if db.session.get(PhotoUpload, (ref[len(REF_PREFIX):], user_id)) is None:
            raise NotFound(_("照片 %(ref)s 不存在", ref=ref[:70]), code="photo_not_found", field="photos")
