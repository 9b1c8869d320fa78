"""Attachment references of an action or a report: ``photo:<sha256>`` of uploaded photos."""
from __future__ import annotations

from flask_babel import gettext as _

from ..core.errors import BadInput
from ..extensions import db
from ..models import Photo


def check_attachment_refs(items) -> list:
    """The form of attachment references (None: none): a list of strings of at most 200
    characters; returns the list. Raises BadInput ``invalid_attachments``."""
    items = items or []
    if not isinstance(items, list) or not all(isinstance(a, str) and len(a) <= 200 for a in items):
        raise BadInput(_("附件 (attachments) 必须是文件引用的列表"), code="invalid_attachments", field="attachments")
    return items


def check_attachments(items) -> list:
    """Validate attachment references: a list of ``photo:<sha256>`` of uploaded photos
    (see :mod:`gridapp.incidents.photos`). Raises BadInput ``invalid_attachments``."""
    items = check_attachment_refs(items)
    for ref in items:
        if not ref.startswith("photo:") or db.session.get(Photo, ref[6:]) is None:
            raise BadInput(_("附件 %(ref)s 不是已上传的照片", ref=ref), code="invalid_attachments",
                           field="attachments")
    return items
