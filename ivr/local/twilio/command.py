"""`ivr twilio-local`: the local Twilio stand-in as a process."""

from __future__ import annotations

import click

from ivr.core.exceptions import IvrError


@click.command("twilio-local")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--app-url", default="http://127.0.0.1:5000", show_default=True,
              help="Base URL of the app: its /voice/incoming answers every number.")
@click.option("--time-scale", default=1.0, show_default=True,
              type=click.FloatRange(0.001, 100.0),
              help="Real seconds per simulated second (0.02: fifty times faster).")
def twilio_local(host: str, port: int, app_url: str, time_scale: float) -> None:
    """Play Twilio's part: its REST API, every call's TwiML, simulated agents."""
    from ivr.core.settings import load_settings
    from ivr.local.twilio.server import TwilioLocal, serve

    if not app_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"must be an http:// or https:// URL, got {app_url!r}",
                                 param_hint="--app-url")
    try:
        settings = load_settings()
        local = TwilioLocal(app_url, settings.account_sid(), settings.auth_token(),
                            time_scale=time_scale, host=host, port=port)
    except IvrError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        serve(local)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
