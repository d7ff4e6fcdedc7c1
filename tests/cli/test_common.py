"""Every `ivr` error a user can cause is one line on standard error and exit status 1: no
traceback unless --verbose."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import redis
from click.testing import CliRunner

from ivr.cli.common import Commands
from ivr.core.exceptions import IvrError


def ivr(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ivr", *args], capture_output=True, text=True,
                          env={**os.environ, **environ}, timeout=60)


def test_unreachable_redis_is_one_line_naming_the_url(tmp_path):
    done = ivr("hours", "status", REDIS_URL="redis://127.0.0.1:1",
               IVR_INSTANCE_DIR=str(tmp_path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("Error: cannot reach Redis at redis://127.0.0.1:1 (")
    assert done.stderr.endswith("start it, or set REDIS_URL to one that runs\n")


def test_verbose_shows_the_traceback(tmp_path):
    done = ivr("--verbose", "hours", "status", REDIS_URL="redis://127.0.0.1:1",
               IVR_INSTANCE_DIR=str(tmp_path))
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr


def broken_group() -> click.Group:
    @click.group(cls=Commands)
    @click.option("-v", "--verbose", is_flag=True)
    def group(verbose: bool) -> None:
        pass

    @group.command()
    def fails() -> None:
        raise KeyError("no such thing")

    @group.command()
    def missing() -> None:
        open("/nonexistent/clients.csv")  # noqa: SIM115

    @group.command()
    def silent() -> None:  # errors that carry no text of their own
        raise TimeoutError

    @group.command()
    def blank() -> None:
        raise RuntimeError("")

    @group.command()
    def redis_blank() -> None:
        raise redis.ConnectionError()

    @group.command()
    def refused() -> None:  # what the service refuses: the user's mistake, said as it is
        raise IvrError("no user 'zoe'")

    return group


def test_an_unexpected_error_is_one_line_too():
    result = CliRunner().invoke(broken_group(), ["fails"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: unexpected KeyError: 'no such thing' (run with --verbose "
                             "for details)\n")


def test_an_os_error_names_the_file():
    result = CliRunner().invoke(broken_group(), ["missing"])
    assert result.stderr == "Error: No such file or directory: /nonexistent/clients.csv\n"


def test_an_error_without_text_still_says_what_went_wrong():
    group = broken_group()
    assert CliRunner().invoke(group, ["silent"]).stderr == "Error: timed out\n"
    assert CliRunner().invoke(group, ["blank"]).stderr == (
        "Error: unexpected RuntimeError, with no message (run with --verbose for details)\n")
    said = CliRunner().invoke(group, ["redis-blank"]).stderr
    assert "(ConnectionError): start it" in said


def test_verbose_lets_the_error_through():
    result = CliRunner().invoke(broken_group(), ["--verbose", "fails"])
    assert isinstance(result.exception, KeyError)


def test_what_the_service_refuses_is_its_own_line_even_when_verbose():
    for args in (["refused"], ["--verbose", "refused"]):
        result = CliRunner().invoke(broken_group(), args)
        assert (result.exit_code, result.stderr) == (1, "Error: no user 'zoe'\n")
