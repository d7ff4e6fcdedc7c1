"""`make run`: Redis (embedded unless REDIS_URL), the web tier as in production (nginx in front of
granian), an RQ worker, and the local Twilio stand-in when no real account is configured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from ivr.core.exceptions import IvrError
from ivr.core.redis_server import shared_server
from ivr.core.settings import LOCAL_ACCOUNT_SID, load_settings
from ivr.local import proxy
from ivr.people.users import ensure_demo_users
from ivr.services.hotline import Hotline
from ivr.web.metrics import MULTIPROC_ENV, multiprocess_dir

STOP_GRACE = 1.0  # seconds the parts get to stop on Ctrl-C before they are killed


def web_command(host: str, port: int, workers: int, target: str = "ivr.wsgi:app") -> list[str]:
    """granian on a TCP port (the benchmark's server; `make run` puts nginx in front of it on a
    unix socket, see ivr/local/proxy.py). One Python thread per worker (docs/benchmarks.md)."""
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
    return [sys.executable, "-m", "ivr.local.twilio", "--port", str(port + 1),
            "--app-url", app_url]


def command_hint() -> str:
    """How to type `ivr` in this shell: the venv's script, unless it is on PATH already."""
    script = Path(sys.executable).parent / "ivr"
    on_path = Path(os.environ.get("VIRTUAL_ENV", "/nonexistent")) / "bin" / "ivr"
    if not script.exists() or on_path == script:
        return "ivr"
    try:
        return os.path.relpath(script)
    except ValueError:
        return str(script)


def run_all(host: str, port: int, workers: int) -> None:
    """Start every part, print what to try, and stop them all on Ctrl-C."""
    try:
        settings = load_settings()
        env = dict(os.environ)
        twilio = local_twilio(env, host, port)
        # before anything starts or prints
        for needed in (port, port + 1) if twilio else (port,):
            proxy.check_port(host, needed)
        proxy.nginx_executable()
    except IvrError as exc:
        raise click.ClickException(str(exc)) from None
    redis_server = None
    if settings.embedded_redis:
        redis_server = shared_server(settings.instance_dir)
        env["REDIS_URL"] = redis_server.acquire()
        env.setdefault("IVR_DEMO_DATA", "true")
    try:
        service = Hotline(load_settings(env))
        service.prepare(demo_today=True)  # the demo's dates moved to today's
        logins = demo_logins(service, f"http://{host}:{port}")
    except IvrError as exc:
        if redis_server:
            redis_server.release()
        raise click.ClickException(str(exc)) from None
    env.setdefault(MULTIPROC_ENV, str(multiprocess_dir(settings.instance_dir, port)))
    run_dir = settings.instance_dir / "run"
    web_socket = run_dir / "web.sock"
    run_dir.mkdir(parents=True, exist_ok=True)
    web_socket.unlink(missing_ok=True)
    config = proxy.write_config(run_dir / "nginx", host, port, web_socket, settings.max_body)
    # each part in a process group of its own: Ctrl-C reaches this process only, which stops
    # the parts, their workers with them, in order and within STOP_GRACE
    children = [
        subprocess.Popen(proxy.web_command(web_socket, workers), env=env, process_group=0),
        subprocess.Popen(proxy.nginx_command(config), env=env, process_group=0),
        subprocess.Popen([sys.executable, "-m", "ivr", "worker"], env=env, process_group=0),
    ] + ([subprocess.Popen(twilio, env=env, process_group=0)] if twilio else [])

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    base = f"http://{host}:{port}"
    ivr = command_hint()
    shift = env.get("IVR_CLOCK_SHIFT")
    # commands run elsewhere must live on the same travelled clock as the service
    travel = f"\n  export IVR_CLOCK_SHIFT={shift}   (the same clock)" if shift else ""
    failed = False
    try:
        _say(f"""
Hotline running: {base}  (nginx -> granian; Redis: {'embedded, ' + str(redis_server.folder)
                                                  if redis_server else 'REDIS_URL'})
Twilio: {env['TWILIO_API_URL'] + ' (local stand-in: calls wait in queues and reach agents)'
         if twilio else env.get('TWILIO_API_URL') or 'api.twilio.com'}
Try, in another terminal:{travel}
  {ivr} call --url {base} --press - --press 1001# --press 1   (a real call's path, open hours)
  {ivr} call --at 2026-12-25T10:00:00+01:00                       (Christmas: closed)
  {ivr} hours calendar --days 10
  curl {base}/healthz
{logins}Ctrl-C stops everything.
""")
        while all(child.poll() is None for child in children):
            time.sleep(0.2)
        failed = True
        _say("a part stopped; stopping the others", err=True)
    except KeyboardInterrupt:
        _say("\nstopping...")
    finally:
        _stop(children)
        if redis_server:
            redis_server.release()
    if failed:
        raise click.ClickException("a part of the service stopped (see above)")


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Ask every part to stop, then kill what is still running after the grace period."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for child in children:
        try:
            child.wait(timeout=max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal_group(child, signal.SIGKILL)  # its workers too, if any is left
        child.wait()


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass


def _say(text: str, err: bool = False) -> None:
    """Print, unless the terminal or pipe has gone (`make run | tee` stopped by Ctrl-C)."""
    try:
        click.echo(text, err=err)
    except OSError:
        pass


def demo_logins(service: Hotline, base: str) -> str:
    """The demo users' sign-ins, created with the demo data only ('' without)."""
    if not service.settings.load_demo_data:
        return ""
    found = ensure_demo_users(service.redis, service.settings.instance_dir, service.clock.now())
    lines = "".join(f"  {name:<11} {password}\n" for name, password in found)
    return (f"Agent console: {base}/agent   Supervisor: {base}/supervisor\n"
            f"Sign in at {base}/login (demo users, passwords kept in "
            f"{service.settings.instance_dir / 'demo_users.json'}):\n{lines}")
