"""Published flow versions: current version, history, per-process cache, the shipped seed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ivr.core.settings import PROJECT_ROOT
from ivr.flows.loader import load_file
from ivr.flows.store import FlowStore, NoFlow, UnknownVersion
from tests.conftest import MONDAY_MORNING

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"


@pytest.fixture
def store(r) -> FlowStore:  # type: ignore[no-untyped-def]
    return FlowStore(r)


def changed(tmp_path: Path, welcome: str) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8").replace(
        "Bienvenue au support technique.", welcome), encoding="utf-8")
    return path


def test_nothing_published(store):
    assert store.current_version() is None
    with pytest.raises(NoFlow, match="ivr flow publish"):
        store.current()
    with pytest.raises(UnknownVersion):
        store.get("nope")


def test_publish_makes_current_and_records_history(store, tmp_path):
    first = store.publish(load_file(SHIPPED), MONDAY_MORNING, by="ada")
    second = store.publish(load_file(changed(tmp_path, "Bonjour.")),
                           MONDAY_MORNING + timedelta(minutes=5), by="bob")
    assert first != second and store.current_version() == second
    assert [(h["version"], h["by"]) for h in store.history()] == [(second, "bob"), (first, "ada")]
    assert store.history(1)[0]["at"] == (MONDAY_MORNING + timedelta(minutes=5)).isoformat()


def test_another_process_reads_a_version_from_redis_once(store, r):
    version = store.publish(load_file(SHIPPED), MONDAY_MORNING)
    other = FlowStore(r)
    assert other.cached(version) is None
    flow = other.get(version)
    assert flow.version == version and other.cached(version) is flow
    assert other.get(version) is flow


def test_the_shipped_file_seeds_once_and_an_admin_flow_is_kept(store, tmp_path):
    seeded = store.ensure_published(SHIPPED, MONDAY_MORNING)
    assert store.ensure_published(SHIPPED, MONDAY_MORNING) == seeded
    assert len(store.history()) == 1
    admin = store.publish(load_file(changed(tmp_path, "Bonjour.")), MONDAY_MORNING, by="ada")
    assert store.ensure_published(SHIPPED, MONDAY_MORNING) == admin
