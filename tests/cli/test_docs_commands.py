"""Every `ivr` command shown in the README and docs/ still parses as written: the command exists,
its options exist, its arguments fit. (Running each is the other tests' job; this one catches a
renamed command or option that the docs still show.)"""

from __future__ import annotations

import re
import shlex
import warnings
from collections.abc import Sequence
from pathlib import Path

import click
import pytest

from ivr.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")
OPTIONAL = re.compile(r"\[([^\]]*)\]")  # `[--json]`, `[--at ISO]`: shown as optional


def shown_commands() -> list[tuple[str, str]]:
    """(where, command line) for each `ivr ...` line of a shell block in the docs."""
    found = []
    for path in DOCS:
        language = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            fence = FENCE.match(line.strip())
            if fence:
                language = None if language is not None else fence.group(1)
                continue
            text = line.strip().removeprefix(".venv/bin/")
            if language in ("sh", "bash", "console", "") and text.startswith("ivr "):
                found.append((f"{path.relative_to(ROOT)}:{number}", text))
    return found


def words(line: str) -> list[str]:
    """The command's words: optional parts, comments, `&`, redirections and pipes dropped."""
    line = OPTIONAL.sub("", line)
    split = shlex.shlex(line, posix=True, punctuation_chars="|&;<>")
    split.whitespace_split = True
    kept = []
    for word in split:
        if word in ("|", "&", ";", "&&", "||", ">", ">>", "<", "2>"):
            break
        kept.append(word)
    return kept[1:]


def optional_names(line: str) -> list[str]:
    """The options a line shows as optional: `[--at ISO]` -> ["--at"]."""
    return [word for part in OPTIONAL.findall(line) for word in part.split()
            if word.startswith("--")]


def parse(args: list[str], optional: Sequence[str] = ()) -> None:
    """Parse `ivr ARGS` without running anything, and check the options shown as optional
    exist: raises click.UsageError when it does not fit."""
    command: click.Command = main
    name = "ivr"
    while isinstance(command, click.Group):
        context = command.make_context(name, list(args), resilient_parsing=True)
        with warnings.catch_warnings():  # click 8.2 keeps the command's name apart until 9.0
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*context.protected_args, *context.args]
        if not rest:
            return
        found, sub, args = command.resolve_command(context, rest)
        if sub is None or found is None:
            raise click.UsageError(f"no command {rest[0]!r}")
        name, command = found, sub
    context = command.make_context(name, list(args))
    known = {name for param in command.get_params(context)
             for name in [*param.opts, *param.secondary_opts]}
    for option in optional:
        if option not in known:
            raise click.NoSuchOption(option, ctx=context)


COMMANDS = shown_commands()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) > 30
    assert any(line.startswith("ivr maintenance list") for _, line in COMMANDS)


@pytest.mark.parametrize(("where", "line"), COMMANDS, ids=[where for where, _ in COMMANDS])
def test_a_command_in_the_docs_parses_as_written(where: str, line: str) -> None:
    try:
        parse(words(line), optional_names(line))
    except click.UsageError as exc:
        pytest.fail(f"{where}: {line!r}: {exc.format_message()}")


@pytest.mark.parametrize("line", [
    "ivr maintenance lst --json",          # no such command
    "ivr callbacks list --everything",     # no such option
    "ivr agents status",                   # missing arguments
    "ivr callbacks list [--everything]",   # no such optional option
])
def test_a_wrong_command_is_caught(line: str) -> None:
    with pytest.raises(click.UsageError):
        parse(words(line), optional_names(line))
