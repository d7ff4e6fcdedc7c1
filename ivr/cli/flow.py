"""`ivr flow`: validate, save, publish, versions, show, diff, roll back.

Commands import their parts in their body: see `ivr.cli` for why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ivr.cli.common import hotline
from ivr.commands import acting, as_option
from ivr.core.exceptions import FlowError


@click.group()
def flow() -> None:
    """Call flows: every save is a numbered version; one of them is published."""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read: {exc}") from None


def _refused(path: Path, exc: FlowError) -> None:
    for problem in exc.problems:
        click.echo(f"{path}: {problem}", err=True)
    raise SystemExit(1)


@flow.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def flow_validate(path: Path) -> None:
    """Check a flow file; every error is printed with its line and place."""
    from ivr.admin.flows import check

    try:
        loaded = check(_read(path), str(path))
    except FlowError as exc:
        _refused(path, exc)
    click.echo(f"{path}: valid ({len(loaded.nodes)} nodes, version {loaded.version})")


def _save(path: Path, message: str, by: str, base: int | None, publish: bool) -> Any:
    from ivr.admin import flows

    service = hotline()
    try:
        return flows.save(service, _read(path), message or f"from {path.name}",
                          acting(service, by), base, publish=publish)
    except FlowError as exc:
        _refused(path, exc)


@flow.command("save")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("-m", "--message", default="", help="Why (shown in the versions).")
@click.option("--base", type=int, help="The version you started from: refused if another "
              "was saved since.")
@as_option
def flow_save(path: Path, message: str, base: int | None, by: str) -> None:
    """Save a flow file as a new version without publishing it (try it with
    `ivr call --flow-version N`)."""
    revision = _save(path, message, by, base, publish=False)
    click.echo(f"saved version {revision.number} ({revision.version})")


@flow.command("publish")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("-m", "--message", default="", help="Why (shown in the versions).")
@click.option("--base", type=int, help="The version you started from: refused if another "
              "was saved since.")
@as_option
def flow_publish(path: Path, message: str, base: int | None, by: str) -> None:
    """Save a flow file as a new version and make it the one new calls start on (calls in
    progress keep theirs)."""
    revision = _save(path, message, by, base, publish=True)
    click.echo(f"published version {revision.number} ({revision.version})")


@flow.command("versions")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True)
def flow_versions(limit: int, as_json: bool) -> None:
    """Saved versions, newest first; * marks the published one."""
    store = hotline().flows
    published = store.published_number()
    found = store.revisions(limit)
    if as_json:
        click.echo(json.dumps([{**r.summary(), "published": r.number == published}
                               for r in found], ensure_ascii=False, indent=2))
        return
    for r in found:
        mark = "*" if r.number == published else " "
        click.echo(f"{mark}{r.number:>4}  {r.at[:16].replace('T', ' ')}  {r.author}  {r.message}")


@flow.command("history")
def flow_history() -> None:
    """Publications, newest first."""
    for item in hotline().flows.history():
        click.echo(f"{item.get('number', '?')}  {item['version']}  {item['at']}  "
                   f"{item.get('by', '')}")


@flow.command("show")
@click.argument("number", type=int)
def flow_show(number: int) -> None:
    """The YAML of version NUMBER."""
    from ivr.admin import flows

    click.echo(flows.show(hotline(), number).source, nl=False)


@flow.command("diff")
@click.argument("a", type=int)
@click.argument("b", type=int)
def flow_diff(a: int, b: int) -> None:
    """What changed from version A to version B (unified diff)."""
    from ivr.admin import flows

    text = flows.diff(hotline(), a, b)
    click.echo(text or f"versions {a} and {b} are the same", nl=not text)


@flow.command("rollback")
@click.argument("number", type=int, required=False)
@as_option
def flow_rollback(number: int | None, by: str) -> None:
    """Publish an earlier version again (NUMBER, or the one published before)."""
    from ivr.admin import flows

    service = hotline()
    revision = flows.rollback(service, number, acting(service, by))
    click.echo(f"published version {revision.number} ({revision.version}) again")
