"""The web tier as `make run` serves it, the same way as production: nginx reads each request
whole (deploy/nginx/ivr-proxy.conf), then hands it to granian on a unix socket."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

from ivr.core.exceptions import IvrError
from ivr.core.settings import MAX_UPLOAD, PROJECT_ROOT

PROXY_SNIPPET = PROJECT_ROOT / "deploy" / "nginx" / "ivr-proxy.conf"

_CONFIG = """# written by ivr/local/proxy.py for `make run`; production: deploy/nginx/hotline.conf
{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream ivr_web {{
        server unix:{upstream};
        keepalive 16;
    }}
    server {{
        listen {host}:{port};
        client_max_body_size {max_upload};
        client_header_timeout 10s;
        location /voice/ {{
            client_max_body_size {max_body};
            include {snippet};
            proxy_pass http://ivr_web;
        }}
        location /sms/ {{
            client_max_body_size {max_body};
            include {snippet};
            proxy_pass http://ivr_web;
        }}
        location / {{
            include {snippet};
            proxy_pass http://ivr_web;
        }}
    }}
}}
"""


class PortBusy(IvrError):
    """The port to serve on is taken."""


def check_port(host: str, port: int) -> None:
    """Fail at once, naming the port, when something already listens on it."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    except OSError as exc:
        raise PortBusy(f"cannot serve on {host}:{port}: {exc.strerror}; stop what uses it, or "
                       "choose another port (ivr run --port N)") from None
    finally:
        probe.close()


def nginx_executable() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if not found:
        raise IvrError("nginx is not installed: `make run` installs it (apt-get install "
                       "nginx-light)")
    return found


def write_config(folder: Path, host: str, port: int, upstream: Path, max_body: int) -> Path:
    """Write the nginx configuration for serving `host:port` from granian at `upstream`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nginx.conf"
    # nginx started by root runs its workers as `nobody`, who could not reach the socket
    user = "user root;\n" if os.geteuid() == 0 else ""
    path.write_text(_CONFIG.format(user=user, folder=folder, upstream=upstream, host=host,
                                   port=port, max_body=max_body, max_upload=MAX_UPLOAD,
                                   snippet=PROXY_SNIPPET))
    return path


def nginx_command(config: Path) -> list[str]:
    return [nginx_executable(), "-p", str(config.parent), "-c", str(config), "-e", "stderr"]


def web_command(socket_path: Path, workers: int, target: str = "ivr.wsgi:app") -> list[str]:
    """granian on a unix socket, behind nginx. One Python thread per worker: more threads only
    fight over the GIL (docs/benchmarks.md)."""
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "--uds", str(socket_path),
            "--workers", str(workers), "--blocking-threads", "1", "--no-ws", target]
