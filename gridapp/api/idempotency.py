"""``Idempotency-Key`` on the API's create routes (issue 19): decorate a route with
:func:`idempotent`; the mechanism is :mod:`gridapp.core.idempotency`."""
from __future__ import annotations

from functools import wraps

from flask import jsonify, make_response, request

from ..auth import api_user
from ..core import idempotency


def request_fingerprint() -> str:
    """Fingerprint of this request's body: its JSON canonically (key order and spacing do not
    matter), or its form fields and the bytes of its files, or its raw bytes."""
    body = request.get_json(silent=True)
    if body is not None:
        return idempotency.fingerprint("json", body)
    if request.files or request.form:
        parts: list[object] = ["form", sorted(request.form.items(multi=True))]
        for name, file in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            parts += [name, file.filename or "", file.stream.read()]
            file.stream.seek(0)
        return idempotency.fingerprint(*parts)
    return idempotency.fingerprint("raw", request.get_data())


def idempotent(view):
    """A create route that honours ``Idempotency-Key``: without the header it runs as before;
    with it, a retry by the same user receives the first answer again (header
    ``Idempotent-Replayed: true``) and creates nothing; 422 ``idempotency_key_reused`` (field
    ``Idempotency-Key``) for a key reused with another body; 400 ``invalid_idempotency_key``."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(idempotency.HEADER)
        if key is None:
            return view(*args, **kwargs)
        user = api_user()  # 401 first

        def action():
            response = make_response(view(*args, **kwargs))
            return response.get_json(), response.status_code

        endpoint = f"{request.method} {request.path}"
        body, status, replayed = idempotency.run_once(user.id, key, endpoint, request_fingerprint(), action)
        response = make_response(jsonify(body), status)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response
    wrapper.idempotent = True  # the contract declares the header (gridapp.api.contract)
    return wrapper
