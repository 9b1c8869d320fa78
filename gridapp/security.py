"""HTTP security headers: a Content-Security-Policy that allows only this site (plus the hosts
of the chosen base map's tiles, :meth:`gridapp.maps.basemaps.BaseMap.origins`), with a
per-request nonce for the few inline scripts (the map),
and the usual companions (nosniff, frame denial, referrer policy, HSTS over HTTPS); and the
request bodies' JSON parser, which refuses nesting deeper than :data:`MAX_JSON_DEPTH` before
decoding (deep nesting made Python's decoder raise RecursionError: a 500 on every JSON route)."""
from __future__ import annotations

import secrets

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider

from .maps.basemaps import preset_name, resolve
from .settings import basemap_settings

#: The deepest nesting of arrays and objects a request body may have (ours need 4).
MAX_JSON_DEPTH = 32


def json_depth(text: str | bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON text, brackets inside strings ignored
    (one pass; the text need not be valid)."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8", "replace")
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, refusing (ValueError: Flask answers 400) text nested deeper than
    :data:`MAX_JSON_DEPTH` before the recursive decoder sees it."""

    def loads(self, s, **kwargs):
        if json_depth(s) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return super().loads(s, **kwargs)


def csp_nonce() -> str:
    """The nonce of this response's inline scripts (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, tile_origins: list[str] | tuple = ()) -> str:
    """The CSP header value: own origin only; inline scripts need ``nonce``; images (raster tiles)
    and fetches (vector tiles) may also come from ``tile_origins`` (scheme://host[:port], each host
    spelled out: Chromium rejects a ``t{s}`` pattern). Inline styles stay allowed (Leaflet
    positions with them)."""
    img = " ".join(["'self'", "data:", *tile_origins])
    connect = " ".join(["'self'", *tile_origins])
    return "; ".join([
        "default-src 'self'", f"script-src 'self' 'nonce-{nonce}'", "style-src 'self' 'unsafe-inline'",
        f"img-src {img}", f"connect-src {connect}", "font-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def init_app(app: Flask) -> None:
    """Register the ``csp_nonce`` template global, the header hook and the bounded JSON parser.
    Raises ValueError for an unknown base map preset (``GRIDAPP_BASEMAP``): the app does not start."""
    preset_name(basemap_settings(app.config))
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    bounded = BoundedJSONProvider(app)
    bounded.ensure_ascii, bounded.sort_keys = app.json.ensure_ascii, app.json.sort_keys  # keep the app's choices
    app.json = bounded

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy",
                           content_security_policy(csp_nonce(), resolve(basemap_settings(app.config)).origins()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
