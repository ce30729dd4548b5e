"""What every response carries for the browser's side of security, in one place: the session cookie
(HttpOnly, SameSite=Lax, Secure whenever the request came over TLS — directly, or through the
trusted proxy's X-Forwarded-Proto) and the headers (CSP without inline script, no framing, nosniff,
Referrer-Policy). The nginx site adds only HSTS, so the app's own headers are the one source."""
from __future__ import annotations

from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface

# The pages use no script at all; their inline <style> blocks and style attributes (e.g. the signage
# preview's computed sizes) need 'unsafe-inline' for styles only. QR codes are inline SVG or data: images.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure per request: over TLS yes, over plain HTTP (the demo on
    127.0.0.1) no, since a Secure cookie would never come back there."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)


def add_headers(response):
    """after_request: the security headers on every response (JSON and files too: harmless there)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app) -> None:
    app.session_interface = SessionCookies()
    app.after_request(add_headers)
