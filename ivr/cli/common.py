"""What the `ivr` commands share: time options and the service's parts."""

from __future__ import annotations

import os
import re
from typing import Any

import click
import redis

from ivr.core.clock import Clock
from ivr.core.exceptions import IvrError
from ivr.local import utterance
from ivr.services.hotline import Hotline, for_command


def phone_keys(ctx: click.Context, param: click.Parameter,
               value: tuple[str, ...]) -> tuple[str, ...]:
    """`--press` values: keys a phone can send (0-9, *, #), or '-' for none."""
    for keys in value:
        if keys != "-" and not re.fullmatch(r"[0-9*#]+", keys):
            raise click.BadParameter(f"{keys!r}: a phone sends only the keys 0-9, * and # "
                                     "('-' for none)")
    return value


def spoken_words(ctx: click.Context, param: click.Parameter,
                 value: tuple[str, ...]) -> tuple[str, ...]:
    """`--say` values: words, optionally with the confidence heard ("mille un@0.4")."""
    for words in value:
        problem = utterance.problem(utterance.PREFIX + words)
        if problem:
            raise click.BadParameter(problem)
    return value


class AnswersInOrder(click.Command):
    """A command whose `--press` and `--say` values keep the order of the command line: each
    answers the next <Gather>. The merged list is `ctx.meta["answers"]`, words as `say:...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        order = self.make_parser(ctx).parse_args(args=list(args))[2]
        rest = super().parse_args(ctx, args)
        press = list(ctx.params.get("press") or ())
        say = [utterance.PREFIX + words for words in ctx.params.get("say") or ()]
        answers = []
        for param in order:
            if param.name == "press" and press:
                answers.append(press.pop(0))
            elif param.name == "say" and say:
                answers.append(say.pop(0))
        ctx.meta["answers"] = answers + press + say
        return rest


def hotline(clock: Clock | None = None) -> Hotline:
    """The service's parts, for commands that work on Redis directly."""
    return for_command(clock)


def describe(error: BaseException) -> str:
    """One line for a user about an error no command expected; never empty (an exception may
    carry no text: a bare TimeoutError, say: then its kind says what went wrong)."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, redis.RedisError):
        where = os.environ.get("REDIS_URL") or "the embedded server (REDIS_URL unset)"
        return (f"cannot reach Redis at {where} ({text.rstrip('.')}): start it, or set "
                "REDIS_URL to one that runs")
    if isinstance(error, IvrError):
        return text
    if isinstance(error, OSError):
        what = error.strerror or text
        if isinstance(error, TimeoutError) and what == "TimeoutError":
            what = "timed out"
        return what + (f": {error.filename}" if error.filename else "")
    said = f": {text}" if text != type(error).__name__ else ", with no message"
    return f"unexpected {type(error).__name__}{said} (run with --verbose for details)"


class Commands(click.Group):
    """The `ivr` group: what the service refused (an `IvrError`: a bad value, an unknown
    user, a stale version) is one line on standard error and exit status 1, so commands just
    call the service; any other error too, unless `--verbose` asks for its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except IvrError as exc:
            raise click.ClickException(describe(exc)) from None
        except Exception as exc:
            if ctx.params.get("verbose"):
                raise
            raise click.ClickException(" ".join(describe(exc).split())) from None
