"""Idempotent creation (issue 19): a create request that carries a client-generated key runs
once per (user, key); a retry — also one sent because the first answer was lost after the commit —
receives the first answer again (same status, same body) and creates nothing.

The key row is inserted and flushed BEFORE the action runs (a concurrent request with the same key
waits on its primary key and then replays the first answer) and the action's own commits are held
back (flushed only) until the answer is known: the record, the key and the answer are committed in
ONE transaction. A refused request (a raised error or a non-2xx answer) leaves no key, so the
client may correct and retry it.

The table: :class:`gridapp.models.IdempotencyKey`. Framework-free: :mod:`gridapp.api.idempotency`
parses the ``Idempotency-Key`` header and fingerprints the body.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotencyKey
from .clock import utcnow
from .errors import BadInput, Conflict, Unprocessable

#: The header (and the ``field`` of its errors).
HEADER = "Idempotency-Key"
#: A key: 1–255 visible ASCII characters (a UUID is the usual choice).
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
#: How long a key is remembered: a phone retries within minutes of reconnecting; a key older than
#: this is forgotten (deleted with the user's next keyed request) and would run again.
KEEP = timedelta(days=30)


def check_key(value: str) -> str:
    """The key ``value`` stripped; raises BadInput ``invalid_idempotency_key`` (400, field
    ``Idempotency-Key``) when empty, longer than 255 or not visible ASCII."""
    key = (value or "").strip()
    if not KEY_PATTERN.fullmatch(key):
        raise BadInput(_("Idempotency-Key 必须是 1 到 255 个可见 ASCII 字符（例如 UUID）"),
                       code="invalid_idempotency_key", field=HEADER)
    return key


def fingerprint(*parts: object) -> str:
    """SHA-256 hex of ``parts``: JSON-able values canonically (sorted keys), bytes as they are."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            digest.update(hashlib.sha256(part).digest())
        else:
            digest.update(json.dumps(part, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                     default=str).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def run_once(user_id: int, key: str, endpoint: str, body_fingerprint: str,
             action: Callable[[], tuple[object, int]]) -> tuple[object, int, bool]:
    """Run ``action`` (→ (JSON-able body, HTTP status)) once for ``user_id`` and ``key``.

    Returns (body, status, replayed): the action's answer, or — for a key already used by this user
    on ``endpoint`` with the same ``body_fingerprint`` — the stored first answer with replayed True.
    Raises BadInput (400) for a malformed key; Unprocessable ``idempotency_key_reused`` (422, field
    ``Idempotency-Key``) for a key already used with another body or endpoint; Conflict (409)
    in the rare race with a key being forgotten; whatever ``action``
    raises (then nothing, not even the key, is committed)."""
    key = check_key(key)
    stored = _answered(user_id, key, endpoint, body_fingerprint)
    if stored is not None:
        return stored
    now = utcnow()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                    IdempotencyKey.created_at < now - KEEP))
    row = IdempotencyKey(user_id=user_id, key=key, endpoint=endpoint, fingerprint=body_fingerprint, created_at=now)
    db.session.add(row)
    try:
        db.session.flush()  # waits for a concurrent request holding the same key
    except IntegrityError:
        db.session.rollback()
        stored = _answered(user_id, key, endpoint, body_fingerprint)
        if stored is None:  # pragma: no cover - the key vanished meanwhile (forgotten after KEEP)
            raise Conflict(_("此 Idempotency-Key 正被另一个请求使用，请稍后重试"), code="idempotency_key_busy",
                           field=HEADER) from None
        return stored
    try:
        with _commits_held():
            body, status = action()
        if status >= 300:
            db.session.rollback()
            return body, status, False
        row = db.session.merge(row)  # still in the session unless the action rolled back
        row.status, row.response = status, body
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return body, status, False


def _answered(user_id: int, key: str, endpoint: str, body_fingerprint: str) -> tuple[object, int, bool] | None:
    row = db.session.get(IdempotencyKey, (user_id, key))
    if row is None:
        return None
    if row.endpoint != endpoint or row.fingerprint != body_fingerprint:
        raise Unprocessable(_("此 Idempotency-Key 已用于另一个请求（请求内容不同）；新的请求请用新的键"),
                            code="idempotency_key_reused", field=HEADER)
    return row.response, row.status, True


@contextmanager
def _commits_held():
    """Within the block, the session's commit() only flushes: the caller commits once afterwards."""
    session = db.session()
    session.commit = session.flush
    try:
        yield
    finally:
        del session.commit
