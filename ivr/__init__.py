"""The hotline's voice backend: Twilio webhooks answered with TwiML from a call flow as data."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.core.settings import ENV_NAMES, MAX_UPLOAD, load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; `config` may override environment settings (REDIS_URL, IVR_*)
    and give test-only values (TESTING, CLOCK)."""
    config = dict(config or {})
    environ = dict(os.environ)
    environ.update({k: str(v) for k, v in config.items() if k in ENV_NAMES and v is not None})
    settings = load_settings(environ)
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app = Flask(__name__, instance_path=str(settings.instance_dir),
                template_folder="web/templates", static_folder="web/static")
    # 413 before a body is parsed: IVR_MAX_BODY for webhooks (ivr/routes.py), this for uploads
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD
    app.config.update({k: v for k, v in config.items() if k not in ENV_NAMES})
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)

    # The app's parts are imported when an app is built, not with this package: every module
    # of `ivr` imports this file first, and a part (ivr.core.clock, say) must not pull in the
    # whole app, nor find the app half-imported when the app imports it.
    from callbacks import api as callbacks_api
    from ivr import routes
    from ivr.services.hotline import Hotline
    from ivr.web import admin as admin_web
    from ivr.web import auth, headers, health, metrics
    from ivr.web.admin import api as admin_api
    from ivr.web.console import agent, api, supervisor
    from maintenance import views as maintenance_views
    from sms import notify

    service = Hotline(settings, clock=config.get("CLOCK"), trial=bool(config.get("TRIAL")))
    service.init_app(app)
    # every callback booked is confirmed by SMS (sms sits above the service)
    notify.confirm_bookings(service)

    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.sms_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(callbacks_api.bp)
    auth.init_app(app, app.extensions["ivr"])  # sessions, CSRF, /login, /logout
    app.register_blueprint(admin_web.bp)
    app.register_blueprint(admin_api.bp)
    app.register_blueprint(agent.bp)
    app.register_blueprint(supervisor.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(maintenance_views.bp)
    metrics.init_app(app)  # /metrics, webhook timings
    headers.init_app(app, settings)  # CSP, no framing, nosniff, referrer; HSTS behind https
    return app
