"""Simulated traffic through the real collector into Kafka: what lands in events.v1 is what
the simulator's ground truth says, per site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lakehouse.settings import Settings
from stack.collector_service import collector_url
from traffic.model import generate
from traffic.send import send
from traffic.simulate import SUMMARY_COLUMNS
from traffic.truth import ground_truth
from traffic.wire import plan

VISITORS = 150
READ_TIMEOUT_S = 30


def events_since(settings: Settings, start: dict[Any, int], expected: int) -> list[dict[str, Any]]:
    """events.v1 records written after the offsets ``start``, until ``expected`` are read."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        records: list[dict[str, Any]] = []
        deadline = time.monotonic() + READ_TIMEOUT_S
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(json.loads(message.value) for message in batch)
        # anything beyond the expected count would be a duplicate or a stray: read a little more
        for batch in consumer.poll(timeout_ms=1500).values():
            records.extend(json.loads(message.value) for message in batch)
        return records
    finally:
        consumer.close()


def end_offsets(settings: Settings) -> dict[Any, int]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        topic = settings.kafka.events_topic
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


def test_simulated_traffic_lands_in_kafka_as_the_truth_says(collector: Settings) -> None:
    traffic = generate(VISITORS, 42, datetime.now(UTC), timedelta(minutes=90))
    deliveries = plan(traffic, collector.collector.sites)
    truth = ground_truth(traffic)
    before = end_offsets(collector)

    report = send(deliveries, collector_url(collector), progress=lambda _: None)
    assert report.errors == 0, report.failures
    assert report.events == len(traffic.events)

    records = events_since(collector, before, len(traffic.events))
    assert len(records) == len(traffic.events)
    seen: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"pageviews": 0, "conversion_events": 0, "visitors": set(), "bot_events": 0}
    )
    for record in records:
        site = truth["sites"][record["site_id"]]
        counts = seen[record["site_id"]]
        if record["is_bot"]:
            counts["bot_events"] += 1
            continue
        counts["visitors"].add(record["visitor_id"])
        counts["pageviews"] += record["type"] == "page"
        counts["conversion_events"] += record["name"] == site["conversion"]
    for site_id, site in truth["sites"].items():
        total, counts = site["total"], seen[site_id]
        assert {
            "pageviews": counts["pageviews"],
            "conversion_events": counts["conversion_events"],
            "visitors": len(counts["visitors"]),
            "bot_events": counts["bot_events"],
        } == {
            "pageviews": total["pageviews"],
            "conversion_events": total["conversion_events"],
            "visitors": total["visitors"],
            "bot_events": total["bot_events"],
        }, site_id
    by_protocol: dict[str, int] = defaultdict(int)
    for record in records:
        by_protocol[record["protocol"]] += 1
    expected_protocols: dict[str, int] = defaultdict(int)
    for site in truth["sites"].values():
        for protocol, count in site["total"]["events_by_protocol"].items():
            expected_protocols[protocol] += count
    assert dict(by_protocol) == dict(expected_protocols)


def test_beacon_simulate_prints_the_summary_and_writes_the_truth(
    collector: Settings, tmp_path: Path
) -> None:
    truth_path = tmp_path / "truth.json"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "beacon"),
            "simulate",
            "--visitors=40",
            "--seed=5",
            "--rate=2000",
            f"--collector={collector_url(collector)}",
            f"--truth={truth_path}",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "BEACON_STATE_DIR": str(tmp_path / "state")},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    truth = json.loads(truth_path.read_text())
    assert truth["seed"] == 5
    assert truth["visitors_generated"] == 40
    shop = truth["sites"]["demo-shop"]["total"]
    row = next(line for line in result.stdout.splitlines() if line.startswith("demo-shop"))
    assert row.split()[1:] == [str(shop[c]) for c in SUMMARY_COLUMNS]
    assert "requests in" in result.stdout
    assert "statuses" in result.stdout
