"""No accepted event is lost when Kafka goes away: the collector spools and replays.

These tests run their own Kafka broker and collector (not the session's), since they stop
and restart them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from lakehouse.settings import Settings
from stack.collector_service import COLLECTOR
from stack.kafka_broker import KAFKA
from stack.lifecycle import start_service, supervisor_for
from stack.state import isolated_settings
from stack.supervisor import Supervisor
from tests.support.kafka import events_by_id
from tests.support.waiting import wait_for

HEADERS = {
    "content-type": "application/json",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    "accept-language": "en",
}


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[tuple[Settings, Supervisor]]:
    settings = isolated_settings(tmp_path / "state")
    supervisor = supervisor_for(settings)
    start_service(KAFKA, settings, supervisor)
    start_service(COLLECTOR, settings, supervisor)
    yield settings, supervisor
    for name in ("collector", "kafka"):
        supervisor.stop(name)


def batch(count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "track",
            "name": "add_to_cart",
            "site_id": "demo-shop",
            "anonymous_id": f"v{n % 7}",
            "client_ts": now,
            "url": "https://shop.example/cart",
        }
        for n in range(count)
    ]


def health(url: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{url}/health", timeout=5).json()
    return found


def wait_drained(url: str, timeout_s: float = 90) -> None:
    wait_for(lambda: health(url)["mode"] == "direct" and health(url)["spool_bytes"] == 0, timeout_s)


def test_kafka_down_during_load_loses_nothing(own_stack: tuple[Settings, Supervisor]) -> None:
    settings, supervisor = own_stack
    url = f"http://{settings.host}:{settings.ports.collector}"
    sent: list[str] = []
    statuses: list[int] = []
    done = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=30) as client:
            for _ in range(150):  # 150 requests x 20 events, paced over the outage
                events = batch(20)
                response = client.post(f"{url}/x/b", content=json.dumps(events), headers=HEADERS)
                statuses.append(response.status_code)
                if response.status_code < 300:
                    sent.extend(e["event_id"] for e in events)
                time.sleep(0.02)
        done.set()

    loader = threading.Thread(target=load)
    loader.start()
    wait_for(lambda: len(sent) >= 200, 60, poll_s=0.05)  # delivered to Kafka directly
    supervisor.stop("kafka")
    wait_for(lambda: health(url)["mode"] == "spooling", 60)  # past the delivery timeout
    spooling = health(url)
    start_service(KAFKA, settings, supervisor)
    loader.join(timeout=240)
    assert done.is_set()
    assert set(statuses) <= {200, 202}, statuses
    assert spooling["mode"] == "spooling"

    wait_drained(url)
    found = events_by_id(settings, set(sent))
    assert set(sent) == set(found), f"{len(set(sent) - set(found))} accepted events missing"
    metrics = httpx.get(f"{url}/metrics").text
    assert "collector_spooled_total" in metrics
    assert "collector_replayed_total" in metrics


def test_a_restarted_collector_replays_its_spool(own_stack: tuple[Settings, Supervisor]) -> None:
    settings, supervisor = own_stack
    url = f"http://{settings.host}:{settings.ports.collector}"
    supervisor.stop("kafka")
    events = batch(50)
    response = httpx.post(f"{url}/x/b", content=json.dumps(events), headers=HEADERS, timeout=30)
    assert response.status_code == 202
    assert health(url)["spool_bytes"] > 0
    supervisor.stop("collector")  # stops with the events still in the spool
    spool = settings.state_path / "collector" / "spool"
    assert any(spool.glob("worker-*/*.jsonl"))

    start_service(KAFKA, settings, supervisor)
    start_service(COLLECTOR, settings, supervisor)
    wait_drained(url)
    wanted = {e["event_id"] for e in events}
    assert set(events_by_id(settings, wanted)) == wanted
