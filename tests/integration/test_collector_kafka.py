"""The collector as a running service against the real Kafka broker."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from lakehouse.schema import EventV1
from lakehouse.settings import Settings
from tests.support.kafka import consume, events_by_id

BROWSER = {
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "accept-language": "de-DE,de;q=0.9",
    "content-type": "text/plain;charset=UTF-8",
    "origin": "https://shop.example",
}


def test_accepted_events_are_in_kafka_enriched_and_keyed(collector: Settings) -> None:
    url = f"http://{collector.host}:{collector.ports.collector}"
    now = datetime.now(UTC).isoformat()
    events: list[dict[str, Any]] = [
        {
            "event_id": str(uuid.uuid4()),
            "type": "page",
            "name": "pageview",
            "site_id": "demo-shop",
            "client_ts": now,
            "url": f"https://shop.example/product/{n}?utm_source=newsletter&utm_medium=cpc",
            "referrer": "https://www.google.com/search?q=shoes",
            "properties": {"n": str(n)},
        }
        for n in range(5)
    ]
    response = httpx.post(f"{url}/x/b", content=json.dumps(events), headers=BROWSER)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 5, "rejected": 0}
    assert response.headers["access-control-allow-origin"] == "https://shop.example"

    ids = {e["event_id"] for e in events}
    found = events_by_id(collector, ids)
    assert set(found) == ids
    for message in found.values():
        record = EventV1.model_validate(message.value).model_dump()
        assert record["site_id"] == "demo-shop"
        assert record["browser"] == "Chrome"
        assert record["os"] == "Linux"
        assert record["device_type"] == "desktop"
        assert record["is_bot"] is False
        assert record["referrer_class"] == "search"
        assert record["utm_source"] == "newsletter"
        assert record["protocol"] == "native"
        assert message.key == f"demo-shop:{record['visitor_id']}".encode()
        assert "ip" not in message.value
        assert "127.0.0.1" not in json.dumps(message.value)


def test_bad_input_becomes_a_bad_row_in_kafka(collector: Settings) -> None:
    url = f"http://{collector.host}:{collector.ports.collector}"
    marker = str(uuid.uuid4())
    bad = {"event_id": marker, "type": "page", "site_id": "demo-shop", "client_ts": "not a time"}
    response = httpx.post(f"{url}/x/e", content=json.dumps(bad), headers=BROWSER)
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"] == "schema_violation"
    (bad_row,) = consume(
        collector,
        collector.kafka.bad_topic,
        done=lambda kept: len(kept) == 1,
        keep=lambda message: marker in message.value["payload"],
    )
    row = bad_row.value
    assert row["stage"] == "collector.validate"
    assert row["reason"] == "schema_violation"
    assert marker in row["payload"]
