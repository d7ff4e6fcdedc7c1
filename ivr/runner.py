"""`make run`: Redis (embedded unless REDIS_URL), the web app under granian, an RQ worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import click

from ivr.exceptions import IvrError
from ivr.redis_server import RedisServer
from ivr.settings import LOCAL_ACCOUNT_SID, load_settings


def web_command(host: str, port: int, workers: int, target: str = "ivr.wsgi:app") -> list[str]:
    """The production server: granian, which beat gunicorn's sync workers here (bench/).
    One Python thread per worker: more threads only fight over the GIL (bench/README.md)."""
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", host,
            "--port", str(port), "--workers", str(workers), "--blocking-threads", "1",
            "--no-ws", target]


def local_twilio(env: dict[str, str], host: str, port: int) -> list[str] | None:
    """With no real Twilio account configured, the local stand-in plays Twilio on port+1:
    its command, after pointing the app and the worker at it (in `env`)."""
    if env.get("TWILIO_API_URL") or env.get("TWILIO_ACCOUNT_SID"):
        return None
    app_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    app_url = env.get("IVR_PUBLIC_URL") or f"http://{app_host}:{port}"
    env.update(TWILIO_API_URL=f"http://127.0.0.1:{port + 1}",
               TWILIO_ACCOUNT_SID=LOCAL_ACCOUNT_SID, IVR_PUBLIC_URL=app_url)
    return [sys.executable, "-m", "ivr.twilio_local", "--port", str(port + 1),
            "--app-url", app_url]


def run_all(host: str, port: int, workers: int) -> None:
    """Start every part, print what to try, and stop them all on Ctrl-C."""
    try:
        settings = load_settings()
    except IvrError as exc:
        raise click.ClickException(str(exc)) from None
    env = dict(os.environ)
    redis_server = None
    if settings.embedded_redis:
        redis_server = RedisServer(settings.instance_dir / "redis").start()
        env["REDIS_URL"] = redis_server.url
        env.setdefault("IVR_DEMO_DATA", "true")
    twilio = local_twilio(env, host, port)
    from ivr.services import Hotline

    try:
        service = Hotline(load_settings(env))
        service.prepare()
        logins = demo_logins(service, f"http://{host}:{port}")
    except IvrError as exc:
        if redis_server:
            redis_server.stop()
        raise click.ClickException(str(exc)) from None
    from ivr.metrics import MULTIPROC_ENV, multiprocess_dir

    env.setdefault(MULTIPROC_ENV, str(multiprocess_dir(settings.instance_dir, port)))
    children = [
        subprocess.Popen(web_command(host, port, workers), env=env),
        subprocess.Popen([sys.executable, "-m", "ivr", "worker"], env=env),
    ] + ([subprocess.Popen(twilio, env=env)] if twilio else [])

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    base = f"http://{host}:{port}"
    click.echo(f"""
Hotline running: {base}  (Redis: {'embedded, ' + str(redis_server.folder) if redis_server
                                   else 'REDIS_URL'})
Twilio: {env['TWILIO_API_URL'] + ' (local stand-in: calls wait in queues and reach agents)'
         if twilio else env.get('TWILIO_API_URL') or 'api.twilio.com'}
Try:
  ivr call --url {base} --press - --press 1001# --press 1   (a real call's path, open hours)
  ivr call --at 2026-12-25T10:00:00+01:00                       (Christmas: closed)
  ivr hours calendar --days 10
  curl {base}/healthz
{logins}Ctrl-C stops everything.
""")
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        click.echo("a part stopped; stopping the others", err=True)
    except KeyboardInterrupt:
        click.echo("\nstopping...")
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if redis_server:
            redis_server.stop()


def demo_logins(service: Any, base: str) -> str:
    """The demo users' sign-ins, created with the demo data only ('' without)."""
    from ivr.users import ensure_demo_users

    if not service.settings.load_demo_data:
        return ""
    found = ensure_demo_users(service.redis, service.settings.instance_dir, service.clock.now())
    lines = "".join(f"  {name:<11} {password}\n" for name, password in found)
    return (f"Agent console: {base}/agent   Supervisor: {base}/supervisor\n"
            f"Sign in at {base}/login (demo users, passwords kept in instance/):\n{lines}")
