"""`ivr run` before anything starts: a busy port or a missing part is one line and exit 1, with
no banner; the hints it prints work from the project folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from ivr.core.settings import MAX_UPLOAD
from ivr.local import proxy, runner


def test_a_busy_port_is_one_line_before_any_banner(env, r):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "ivr", "run", "--port", str(port)],
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (f"Error: cannot serve on 127.0.0.1:{port}: Address already in use; "
                           "stop what uses it, or choose another port (ivr run --port N)\n")


def test_the_nginx_configuration_carries_the_body_limit_and_the_shared_settings(tmp_path):
    config = proxy.write_config(tmp_path, "127.0.0.1", 5123, tmp_path / "web.sock", 65536)
    text = config.read_text()
    assert "listen 127.0.0.1:5123;" in text
    voice = text[text.index("location /voice/"):text.index("location / ")]
    assert "client_max_body_size 65536;" in voice  # webhooks
    assert f"client_max_body_size {MAX_UPLOAD};" in text  # uploads elsewhere
    assert f"include {proxy.PROXY_SNIPPET};" in text
    assert f"server unix:{tmp_path / 'web.sock'};" in text
    assert "proxy_request_buffering on;" in proxy.PROXY_SNIPPET.read_text()


def test_the_web_command_serves_granian_on_the_socket(tmp_path):
    command = proxy.web_command(tmp_path / "web.sock", 2)
    assert command[1:5] == ["-m", "granian", "--interface", "wsgi"]
    assert command[command.index("--uds") + 1] == str(tmp_path / "web.sock")
    assert command[-1] == "ivr.wsgi:app"


def test_hints_name_the_venv_script_unless_it_is_on_path(monkeypatch):
    script = Path(sys.executable).parent / "ivr"
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    assert runner.command_hint() == os.path.relpath(script)
    monkeypatch.setenv("VIRTUAL_ENV", str(script.parent.parent))
    assert runner.command_hint() == "ivr"
