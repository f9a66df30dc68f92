"""What a deployment on the internet needs from every response and request, wired once in create_app:

- the client address behind HOTLINE_PROXY_HOPS trusted reverse proxies (werkzeug's ProxyFix), for rate limits and
  the personal-data read log;
- the session cookie HttpOnly, SameSite=Lax, Secure when HOTLINE_PUBLIC_URL is https;
- security headers on every page by Flask-Talisman: a Content Security Policy without inline script or style, no framing
  (frame-ancestors 'none'), HSTS under https, nosniff, a strict referrer policy.
"""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",  # no inline script anywhere: page scripts are static files
    # No inline <style> or style="" anywhere: every style is in a static file. Scripts may still set an element's
    # style through the CSSOM (Chart.js sizes its canvas so), which style-src does not govern.
    "style-src": "'self'",
    "img-src": ["'self'", "data:", "blob:"],
    "connect-src": "'self'",  # the API and Socket.IO (same origin, ws: included)
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


# The browser softphone (Twilio Voice JS SDK) talks to Twilio itself: signalling, its event gateway, its sounds.
TWILIO_VOICE_SOURCES = {
    "connect-src": ["https://*.twilio.com", "wss://*.twilio.com"],
    "media-src": ["'self'", "https://sdk.twilio.com", "https://media.twiliocdn.com"],
}


def csp_for(app: Flask) -> dict:
    if app.config.get("TELEPHONY") != "twilio":
        return CSP
    policy = dict(CSP)
    policy["connect-src"] = ["'self'", *TWILIO_VOICE_SOURCES["connect-src"]]
    policy["media-src"] = TWILIO_VOICE_SOURCES["media-src"]
    return policy


def is_https(app: Flask) -> bool:
    return str(app.config.get("PUBLIC_URL", "")).startswith("https://")


def socket_origins(app: Flask) -> list[str]:
    """The origins Socket.IO accepts: the deployment's own (HOTLINE_PUBLIC_URL), plus HOTLINE_EXTRA_ORIGINS
    (space-separated; `make run` adds http://localhost:PORT). Any other Origin is refused."""
    extra = str(app.config.get("EXTRA_ORIGINS") or "").split()
    return [o.rstrip("/") for o in [app.config["PUBLIC_URL"], *extra] if o]


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops < 0:
        raise SystemExit("HOTLINE_PROXY_HOPS must be 0 or more")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)  # type: ignore[method-assign]
    https = is_https(app)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = https
    Talisman(
        app,
        force_https=False,  # the reverse proxy redirects; the app also serves plain http on 127.0.0.1
        strict_transport_security=https,
        strict_transport_security_max_age=31536000,
        session_cookie_secure=https,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=csp_for(app),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )
