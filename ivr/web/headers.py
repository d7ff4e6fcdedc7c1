"""Security headers on every answer: pages, API, webhooks, health and metrics.

The pages load their scripts and styles from /static only (no inline script or style), so the
policy allows nothing else; no site may frame them (clickjacking), and a browser never guesses
a type nor sends our URLs to another site. Behind https (IVR_PUBLIC_URL), HSTS too.
"""

from __future__ import annotations

from flask import Flask, Response

from ivr.core.settings import Settings

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"


def served_over_https(settings: Settings) -> bool:
    return (settings.public_url or "").startswith("https://")


def init_app(app: Flask, settings: Settings) -> None:
    headers = {
        "Content-Security-Policy": POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if served_over_https(settings):
        headers["Strict-Transport-Security"] = HSTS

    pairs = list(headers.items())

    @app.after_request
    def secured(response: Response) -> Response:
        # one pass over the answer's few headers, then one extend: this runs on every webhook
        present = {name.lower() for name in response.headers.keys()}
        response.headers.extend([(name, value) for name, value in pairs
                                 if name.lower() not in present])
        return response
