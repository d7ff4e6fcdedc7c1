"""`ivr agents` (roster and presence) and `ivr queues` (the live board).

Commands import their parts in their body: see `ivr.cli` for why."""

from __future__ import annotations

import json

import click
from pydantic import ValidationError

from ivr.cli.common import hotline


@click.group()
def agents() -> None:
    """The agents who answer the queues, and their presence."""


@agents.command("add")
@click.argument("agent_id")
@click.option("--name", required=True, help="Full name, shown to supervisors.")
@click.option("--skills", required=True, help="Queues they answer: technical_support,delivery")
@click.option("--reach", required=True, help="E.164 number, sip:user@host or client:identity.")
@click.option("--agency", default="", help="Their agency (maintenance callers of that agency "
              "are offered to them first).")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
              help="Language of the whisper they hear.")
def agents_add(agent_id: str, name: str, skills: str, reach: str, agency: str, lang: str) -> None:
    """Add an agent (offline), or update one (their presence is kept)."""
    from ivr.centre import agents as roster
    from ivr.centre.agents import Agent

    service = hotline()
    try:
        agent = Agent(id=agent_id, name=name, skills=skills, agency=agency,  # type: ignore[arg-type]
                      reach=reach, lang=lang)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise click.ClickException("; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())) from None
    flow = service.flows.current()
    result = service.save_agent(agent, {r.skill for r in flow.queue_rules.values()},
                                agencies=set(flow.config.agencies))
    presence = roster.get(service.redis, agent_id)
    click.echo(f"agent {agent_id} {result} ({presence.state if presence else '?'})")


@agents.command("list")
@click.option("--json", "as_json", is_flag=True)
def agents_list(as_json: bool) -> None:
    """Every agent with their presence."""
    from ivr.centre import agents as roster

    service = hotline()
    now = service.clock.now()
    everyone = roster.roster(service.redis)
    if as_json:
        click.echo(json.dumps([p.as_json(now) for p in everyone], ensure_ascii=False, indent=2))
        return
    if not everyone:
        click.echo("no agent")
    for p in everyone:
        since = f"{int((now - p.since).total_seconds())}s" if p.since else "-"
        reason = f" ({p.reason})" if p.reason else ""
        click.echo(f"{p.id:<12} {p.state:<9} {since:>7}  {','.join(p.agent.skills):<32} "
                   f"{p.agent.agency or '-':<10} {p.agent.name}{reason}")


@agents.command("status")
@click.argument("agent_id")
@click.argument("state", type=click.Choice(["available", "break", "offline"]))
@click.option("--reason", default="", help="Kept with the state (e.g. training).")
def agents_status(agent_id: str, state: str, reason: str) -> None:
    """Set an agent available, on break or offline; an available agent is given the longest
    waiting caller of their queues at once."""
    service = hotline()
    previous, held = service.change_presence(agent_id, state, reason)
    routed = f"; routing {len(held)} caller(s) to them" if held else ""
    click.echo(f"agent {agent_id}: {previous} -> {state}{routed}")


@agents.command("remove")
@click.argument("agent_id")
def agents_remove(agent_id: str) -> None:
    """Remove an agent (not while they are on a call)."""
    from ivr.centre import agents as roster

    roster.remove(hotline().redis, agent_id)
    click.echo(f"agent {agent_id} removed")


@click.command()
@click.option("--json", "as_json", is_flag=True)
def queues(as_json: bool) -> None:
    """Each queue now: callers waiting, agents, estimated wait, today's figures."""
    from ivr.centre.board import queues_view

    service = hotline()
    flow = service.flows.current()
    labels = {name: q.label for name, q in flow.config.queues.items()}
    view = queues_view(service.redis, flow.queue_rules.values(), labels, service.clock.now(),
                       service.settings.tz)
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    for q in view:
        estimate = "-" if q["estimate"] is None else f"{q['estimate']}s"
        staff = ", ".join(f"{state} {len(ids)}" for state, ids in q["agents"].items() if ids)
        today = q["today"]
        click.echo(f"{q['queue']} ({q['label']}): {q['size']} waiting, estimate {estimate}; "
                   f"agents: {staff or 'none'}; today: {today['answered']} answered, "
                   f"{today['abandoned']} abandoned")
        for w in q["waiting"]:
            who = w["company"] or "unidentified"
            kind = " (callback)" if w.get("kind") == "callback" else ""
            click.echo(f"  {w['position']:>3}. {w['caller']:<14} {who:<28} {w['waited']:>5}s "
                       f"{w['state']}{kind}")
