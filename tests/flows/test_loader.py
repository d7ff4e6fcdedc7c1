"""Flow files: the shipped one is valid; each kind of mistake is refused with its place."""

from __future__ import annotations

import pytest
import yaml

from ivr.cli import main
from ivr.core.exceptions import FlowError
from ivr.core.settings import PROJECT_ROOT
from ivr.flows.loader import load_file, parse

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def problems_of(text: str) -> list[str]:
    with pytest.raises(FlowError) as caught:
        parse(text, "test.yaml")
    return caught.value.problems


def line_of(text: str, needle: str, after: str = "") -> int:
    start = line_of(text, after) if after else 0
    return next(n for n, line in enumerate(text.splitlines(), 1) if n > start and needle in line)


def test_shipped_flow_is_valid_and_versioned_by_content():
    flow = load_file(SHIPPED)
    assert flow.start == "greeting"
    assert {"technical_support", "maintenance", "delivery"} == set(flow.config.queues)
    assert parse(shipped_text()).version == flow.version
    assert parse(shipped_text().replace("Bienvenue", "Bonjour")).version != flow.version


def test_shipped_hours_are_the_faq_hours():
    support = load_file(SHIPPED).config.schedules["support"]
    assert support.timezone == "Europe/Paris"
    days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert support.weekly == {day: ["08:30-12:30", "13:30-17:30"] for day in days}
    assert support.holidays is not None and support.holidays.country == "FR"
    assert support.closures == []


def test_dangling_node_reference_names_node_and_line():
    text = shipped_text().replace("next: agency_hours", "next: agency_hourz")
    [problem] = problems_of(text)
    assert problem.startswith(f"line {line_of(text, 'agency_hourz')}: nodes.identify.next:")
    assert "unknown node 'agency_hourz'" in problem
    assert "did you mean 'agency_hours'" in problem


def test_unknown_prompt_queue_schedule_and_language_are_each_reported():
    text = (shipped_text()
            .replace("    prompt: menu\n", "    prompt: menuu\n")
            .replace("queue: delivery", "queue: deliveries")
            .replace("schedule: alsace}", "schedule: alsase}")
            .replace("{language: en, prompt: for_english}", "{language: de, prompt: for_english}"))
    problems = problems_of(text)
    assert len(problems) == 4
    joined = "\n".join(problems)
    assert "nodes.menu.prompt: unknown prompt 'menuu'" in joined
    assert "nodes.to_delivery.queue: unknown queue 'deliveries'" in joined
    assert "agencies.alsace.schedule: unknown schedule 'alsase'" in joined
    assert "nodes.greeting.choices.9.language: unknown language 'de'" in joined


def test_prompt_missing_a_language():
    text = shipped_text().replace("    en: Thank you for calling. Goodbye.\n", "")
    [problem] = problems_of(text)
    assert "prompts.goodbye: missing the 'en' text" in problem
    assert problem.startswith(f"line {line_of(text, '  goodbye:', after='prompts:')}:")


def test_unknown_placeholder_in_prompt():
    text = shipped_text().replace("Nous rouvrons {next_open}.", "Nous rouvrons {next_opening}.", 1)
    [problem] = problems_of(text)
    assert "prompts.closed.fr: unknown placeholder {next_opening}" in problem


def test_unreachable_node():
    data = yaml.safe_load(shipped_text())
    data["nodes"]["orphan"] = {"type": "hangup", "prompt": "goodbye"}
    [problem] = problems_of(yaml.safe_dump(data, allow_unicode=True))
    assert "nodes.orphan: node 'orphan' cannot be reached" in problem


def test_loop_without_asking_the_caller_is_refused():
    data = yaml.safe_load(shipped_text())
    data["nodes"]["contract_expired"]["next"] = "agency_hours"  # agency_hours -> contract -> ...
    problems = problems_of(yaml.safe_dump(data, allow_unicode=True))
    assert any("loops without asking the caller anything" in p and "contract_expired" in p
               for p in problems)


def test_loop_through_a_question_is_fine():
    data = yaml.safe_load(shipped_text())
    data["nodes"]["menu"]["options"]["5"] = "contract"  # menu asks, so the loop is not silent
    flow = parse(yaml.safe_dump(data, allow_unicode=True))
    assert flow.nodes["menu"].options["5"] == "contract"


@pytest.mark.parametrize(("old", "new", "place", "message"), [
    ("    attempts: 3\n    lockout", "    attempts: many\n    lockout",
     "nodes.identify.attempts", "valid integer"),
    ('monday: ["08:30-12:30", "13:30-17:30"]', 'monday: ["08:30-12:30", "12:00-17:30"]',
     "schedules.support.weekly", "overlap"),
    ("timezone: Europe/Paris", "timezone: Europe/Pariss", "schedules.support.timezone",
     "unknown IANA time zone"),
    ("type: check_contract", "type: check_contracts", "nodes.contract", "does not match"),
    ('options: {"1": to_support,', 'options: {"x": to_support,', "nodes.menu.options.x",
     "should match pattern"),
    ("    repeat_key: \"*\"", "    repeat_key: \"1\"", "nodes.menu", "is also an option"),
])
def test_schema_errors_name_the_place(old, new, place, message):
    text = shipped_text()
    assert old in text
    problems = problems_of(text.replace(old, new, 1))
    assert any(f": {place}" in p and message in p for p in problems), problems


def test_invalid_yaml_gives_the_line():
    [problem] = problems_of("languages:\n  fr: [1\n")
    assert problem.startswith("line 3: not valid YAML") or problem.startswith("line 2: not valid")


def test_not_a_mapping():
    [problem] = problems_of("- just\n- a list\n")
    assert "a flow file is a mapping" in problem


def test_validate_command_prints_each_error_and_fails(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(shipped_text().replace("next: agency_hours", "next: nowhere")
                   .replace("queue: delivery", "queue: nowhere"), encoding="utf-8")
    result = runner.invoke(main, ["flow", "validate", str(bad)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(bad))]
    assert len(lines) == 2
    assert all(": line " in line for line in lines)


def test_validate_command_accepts_the_shipped_flow(runner):
    result = runner.invoke(main, ["flow", "validate", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    flow = load_file(SHIPPED)
    assert result.output == (f"{SHIPPED}: valid ({len(flow.nodes)} nodes, version "
                             f"{flow.version})\n")


def test_publish_refuses_a_bad_flow_and_keeps_serving_the_last_good_one(app, runner, tmp_path):
    store = app.extensions["ivr"].flows
    before = store.current_version()
    bad = tmp_path / "bad.yaml"
    bad.write_text(shipped_text().replace("start: greeting", "start: nowhere"), encoding="utf-8")
    result = runner.invoke(main, ["flow", "publish", str(bad)])
    assert result.exit_code == 1
    assert store.current_version() == before


def test_publish_makes_a_new_current_version(app, runner, tmp_path):
    store = app.extensions["ivr"].flows
    before = store.current_version()
    changed = tmp_path / "flow.yaml"
    changed.write_text(shipped_text().replace("Bienvenue au support", "Bonjour et bienvenue au"
                                              " support"), encoding="utf-8")
    result = runner.invoke(main, ["flow", "publish", str(changed)])
    assert result.exit_code == 0, result.output
    after = store.current_version()
    assert after != before and after in result.output
    assert [item["version"] for item in store.history()][:2] == [after, before]


def test_a_changed_shipped_file_replaces_only_a_seeded_flow(app, tmp_path):
    service = app.extensions["ivr"]
    store, now = service.flows, service.clock.now()
    seeded = store.current_version()
    release = tmp_path / "flow.yaml"
    release.write_text(shipped_text().replace("Bienvenue au", "Bonjour et bienvenue au"),
                       encoding="utf-8")
    assert store.ensure_published(release, now) != seeded  # a new release of the shipped file
    admin = parse(shipped_text().replace("Bienvenue au", "Bienvenue sur la ligne du"))
    store.publish(admin, now, by="cli:mine.yaml")
    assert store.ensure_published(release, now) == admin.version  # an admin's flow stays


@pytest.mark.parametrize(("new", "place", "message"), [
    ('renewal: {prompt: contract_expiring, key: "22", to: to_maintenance, timeout: 5}',
     "nodes.contract.renewal.key", "should match pattern"),
    ('renewal: {prompt: contract_expiring, key: "2", to: to_maintenance, timeout: 0}',
     "nodes.contract.renewal.timeout", "greater than or equal to 1"),
    ('renewal: {prompt: contract_expiring, key: "2", to: menu, timeout: 5}',
     "nodes.contract.renewal.to", "must name an enqueue node"),
    ('renewal: {prompt: contract_expirng, key: "2", to: to_maintenance, timeout: 5}',
     "nodes.contract.renewal.prompt", "did you mean 'contract_expiring'"),
    ('renewal: {prompt: contract_expiring, to: to_maintenance, press: 2}',
     "nodes.contract.renewal.press", "Extra inputs are not permitted"),
])
def test_a_bad_renewal_offer_is_refused_with_its_line(new, place, message):
    old = 'renewal: {prompt: contract_expiring, key: "2", to: to_maintenance, timeout: 5}'
    text = shipped_text()
    assert old in text
    problems = problems_of(text.replace(old, new))
    line = line_of(text, old)
    assert any(p.startswith(f"line {line}: {place}") and message in p for p in problems), problems
