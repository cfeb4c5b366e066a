"""Browser protections (docs/security.md, "Browser protections"): a Content-Security-Policy without
'unsafe-inline' — templates carry no JavaScript and no style attributes (STYLE.md §11), so a name
typed into a form can never become code — the other security headers on every response, HSTS on
HTTPS requests only, and a Server header that names no version."""
from __future__ import annotations

from flask import Flask
from flask_talisman import DENY, Talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",  # data: for Bootstrap's inline SVG icons (in its CSS)
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS = {feature: "()"
               for feature in ("camera", "microphone", "geolocation", "payment", "usb")}
REFERRER_POLICY = "strict-origin-when-cross-origin"
# The same value nginx adds (deploy/nginx-trainer.conf), so the two headers never disagree.
HSTS_MAX_AGE = 31536000
SERVER = "trainer"

# What Talisman writes; a view that set one of them itself keeps its own value.
_TALISMAN_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                     "Referrer-Policy", "Permissions-Policy", "Strict-Transport-Security")


class _Talisman(Talisman):
    """Talisman 1.1.0 writes its headers over those a view set: the password-reset page's
    `Referrer-Policy: same-origin` (its address carries the token) would become the site-wide
    policy. Here the view's value wins."""

    def _set_response_headers(self, response):
        own = {name: response.headers[name] for name in _TALISMAN_HEADERS
               if name in response.headers}
        response = super()._set_response_headers(response)
        for name, value in own.items():
            response.headers[name] = value
        return response


def init_app(app: Flask) -> None:
    _Talisman(
        app,
        content_security_policy=CSP,
        permissions_policy=PERMISSIONS,
        frame_options=DENY,
        referrer_policy=REFERRER_POLICY,
        # nginx redirects HTTP to HTTPS; Talisman sends HSTS only on a secure request (behind
        # nginx: X-Forwarded-Proto https).
        force_https=False,
        strict_transport_security=True,
        strict_transport_security_max_age=HSTS_MAX_AGE,
        strict_transport_security_include_subdomains=False,
        # Talisman would force secure cookies; the settings decide (on in production only, so
        # development over plain HTTP keeps its session).
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )

    @app.after_request
    def _server_header(response):
        # gunicorn adds "Server: gunicorn" and Werkzeug's dev server its and Python's versions
        # besides this one; nginx replaces them all with its own (server_tokens off).
        response.headers["Server"] = SERVER
        return response
