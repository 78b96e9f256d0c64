"""Freshness of the speed layer: per event, the time from the collector's 2xx to the event
being queryable through Trino in raw.events and in live.minute_metrics.

Starts its own Kafka, Trino, collector and streaming job on free loopback ports in a
temporary state dir, sends events one request each at a fixed rate, polls Trino, prints
p50 / p95 / max per table and the job's memory. Then the same again under a background load
(--load events/s produced straight to Kafka, enriched records of other sites, as a busy
collector would), printed beside the first. Last, the time Trino takes to query
serving.live_minute_metrics for today (median of --view-runs). Stops everything.

    .venv/bin/python -m bench.freshness [--rate 20] [--seconds 30] [--trigger 1] [--load 2000]

Each event has a path of its own, so its live row (dimension path) appears when it is
counted. A figure includes Trino's polling resolution (one poll of both tables takes about
--poll seconds plus the query time).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.workdir import KEEP_HELP, discard, run_dir
from lakehouse.settings import Settings, StreamingSettings
from lakehouse.trino_sql import query
from stack.lifecycle import start_service, supervisor_for
from stack.registry import BY_NAME
from stack.state import isolated_settings
from streaming.progress import read_progress

SITE = "demo-shop"

Sender = Callable[[dict[str, Any]], float]
"""Sends one client event; returns the wall time its acknowledgement arrived."""


def collector_sender(settings: Settings) -> Sender:
    client = httpx.Client(base_url=f"http://{settings.host}:{settings.ports.collector}")

    def send(event: dict[str, Any]) -> float:
        response = client.post("/x/b", content=json.dumps([event]))
        acked = time.time()
        if response.status_code not in (200, 202) or '"rejected":0' not in response.text:
            raise SystemExit(f"collector answered {response.status_code}: {response.text}")
        return acked

    return send


def kafka_sender(settings: Settings) -> Sender:
    """Without the collector: the enriched record straight to Kafka (acks=all)."""
    from kafka import KafkaProducer

    from lakehouse.schema import EventV1

    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=0)

    def send(event: dict[str, Any]) -> float:
        record = {
            **event,
            "received_at": datetime.now(UTC).isoformat(),
            "protocol": "native",
            "visitor_id": event["anonymous_id"],
        }
        value = EventV1.model_validate(record).model_dump(mode="json", exclude_none=True)
        key = f"{SITE}:{value['visitor_id']}".encode()
        producer.send(settings.kafka.events_topic, key=key, value=json.dumps(value).encode())
        producer.flush()
        return time.time()

    return send


def client_event(run: str, seq: int) -> dict[str, Any]:
    path = f"/bench/{run}/{seq}"
    return {
        "event_id": str(uuid.uuid4()),
        "type": "page",
        "name": "pageview",
        "site_id": SITE,
        "anonymous_id": f"bench-visitor-{seq % 50}",
        "client_ts": datetime.now(UTC).isoformat(),
        "url": f"https://shop.example{path}",
        "path": path,
    }


class Watcher(threading.Thread):
    """Polls Trino for the run's events; remembers when each path was first seen."""

    def __init__(self, settings: Settings, run: str, poll_s: float) -> None:
        super().__init__(daemon=True)
        self.settings, self.run_prefix, self.poll_s = settings, f"/bench/{run}/", poll_s
        self.raw_seen: dict[str, float] = {}
        self.live_seen: dict[str, float] = {}
        self.batches: dict[int, dict[str, Any]] = {}
        """The job's micro-batches seen in its heartbeat, by batch id."""
        self.stop = threading.Event()

    def run(self) -> None:
        today = datetime.now(UTC).date().isoformat()
        # Both tables in one query: each poll costs Trino one query, not two (Trino shares
        # the 2 cores with the job it is measuring).
        sql = (
            f"SELECT 'raw', path FROM delta.raw.events WHERE event_date >= DATE '{today}' "
            f"AND site_id = '{SITE}' AND path LIKE '{self.run_prefix}%' "
            "UNION ALL "
            f"SELECT 'live', value FROM delta.live.minute_metrics WHERE event_date >= "
            f"DATE '{today}' AND site_id = '{SITE}' AND dimension = 'path' "
            f"AND value LIKE '{self.run_prefix}%'"
        )
        seen = {"raw": self.raw_seen, "live": self.live_seen}
        while not self.stop.is_set():
            try:
                rows = query(self.settings, sql)
            except Exception as error:  # noqa: BLE001 - e.g. the table is not registered yet
                print(f"  (poll failed: {str(error)[:120]})", flush=True)
                rows = []
            now = time.time()
            for table, path in rows:
                seen[str(table)].setdefault(str(path), now)
            self.note_batch()
            self.stop.wait(self.poll_s)

    def note_batch(self) -> None:
        progress = read_progress(self.settings) or {}
        batch = progress.get("last_batch") or {}
        if "batch_id" in batch:
            query: dict[str, Any] = next(iter((progress.get("queries") or {}).values()), {})
            duration = (query.get("durations_ms") or {}).get("triggerExecution")
            self.batches[int(batch["batch_id"])] = {**batch, "duration_ms": duration}


def send_at_rate(send: Sender, run: str, rate: float, seconds: float) -> dict[str, float]:
    """Sends ``rate * seconds`` events evenly spaced; each event's path -> its ack time."""
    acked: dict[str, float] = {}
    started = time.monotonic()
    for seq in range(int(rate * seconds)):
        delay = started + seq / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        event = client_event(run, seq)
        acked[event["path"]] = send(event)
    return acked


def warm_up(settings: Settings, send: Sender, poll_s: float, rate: float, seconds: float) -> None:
    """Measure a warm job, as it runs for days: once the first events are visible, the
    same traffic for ``seconds``. A fresh JVM's first batches take many times longer, and
    for minutes after that the JIT compiler keeps a core busy with Spark's code."""
    run = f"warmup-{uuid.uuid4().hex[:8]}"
    watcher = Watcher(settings, run, poll_s)
    watcher.start()
    for seq in range(5):
        send(client_event(run, seq))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (len(watcher.raw_seen) < 5 or len(watcher.live_seen) < 5):
        time.sleep(0.5)
    watcher.stop.set()
    watcher.join()
    print(f"warm-up: {len(watcher.raw_seen)}/5 raw, {len(watcher.live_seen)}/5 live", flush=True)
    if seconds > 0:
        print(f"warm-up: {rate:g} events/s for {seconds:g} s", flush=True)
        send_at_rate(send, f"{run}-steady", rate, seconds)


class BackgroundLoad(threading.Thread):
    """Produces ``rate`` enriched events/s of other sites straight to Kafka, in ticks of 50
    ms, each event's times the moment it is sent (on time for the live metrics)."""

    TICK_S = 0.05

    def __init__(self, settings: Settings, rate: float) -> None:
        super().__init__(daemon=True)
        self.settings, self.rate = settings, rate
        self.sent = 0
        self.stop = threading.Event()

    def run(self) -> None:
        from confluent_kafka import Producer

        producer = Producer(
            {"bootstrap.servers": self.settings.kafka_bootstrap, "linger.ms": 5, "acks": "all"}
        )
        topic = self.settings.kafka.events_topic
        started = time.monotonic()
        while not self.stop.is_set():
            due = int((time.monotonic() - started) * self.rate)
            now = datetime.now(UTC).isoformat()
            for n in range(self.sent, due):
                visitor = f"load-{n % 5000}"
                record = {
                    "event_id": str(uuid.uuid4()),
                    "type": "page",
                    "name": "pageview",
                    "site_id": f"load-{n % 2}",
                    "client_ts": now,
                    "received_at": now,
                    "protocol": "native",
                    "visitor_id": visitor,
                    "anonymous_id": visitor,
                    "path": f"/product/{n % 300}",
                    "url": f"https://shop.example/product/{n % 300}",
                    "country": ("DE", "FR", "US", "GB")[n % 4],
                    "browser": ("Chrome", "Firefox", "Safari")[n % 3],
                    "device_type": "desktop",
                    "referrer_class": "search",
                    "is_bot": False,
                }
                producer.produce(topic, json.dumps(record).encode(), key=visitor.encode())
            self.sent = max(self.sent, due)
            producer.poll(0)
            self.stop.wait(self.TICK_S)
        producer.flush(30)


def measure(settings: Settings, send: Sender, args: argparse.Namespace) -> list[str]:
    """One measured run: ``args.rate`` events/s for ``args.seconds``; its printed lines."""
    run = uuid.uuid4().hex[:8]
    watcher = Watcher(settings, run, args.poll)
    watcher.start()
    acked = send_at_rate(send, run, args.rate, args.seconds)
    total = len(acked)
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline and (
        len(watcher.raw_seen) < total or len(watcher.live_seen) < total
    ):
        time.sleep(0.5)
    watcher.stop.set()
    watcher.join()
    return [
        summary("raw.events", acked, watcher.raw_seen),
        summary("live.minute_metrics", acked, watcher.live_seen),
        batch_summary(watcher.batches),
    ]


def view_query_ms(settings: Settings, runs: int) -> tuple[float, float, int]:
    """Median and max ms of a query of serving.live_minute_metrics for today (every row of the
    view: what a dashboard of the day reads), and the rows it returned."""
    sql = (
        "SELECT site_id, dimension, count(*), sum(pageviews), sum(events), max(unique_visitors)"
        " FROM delta.serving.live_minute_metrics GROUP BY site_id, dimension"
    )
    times, rows = [], 0
    query(settings, sql)  # planned once before it is timed
    for _ in range(runs):
        started = time.monotonic()
        result = query(settings, sql)
        times.append((time.monotonic() - started) * 1000)
        rows = sum(int(r[2]) for r in result)
    return statistics.median(times), max(times), rows


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary(name: str, acked: dict[str, float], seen: dict[str, float]) -> str:
    delays = [seen[path] - at for path, at in acked.items() if path in seen]
    missing = len(acked) - len(delays)
    if not delays:
        return f"{name:<22} nothing visible ({missing} missing)"
    return (
        f"{name:<22} p50 {statistics.median(delays):5.2f} s   p95 {percentile(delays, 95):5.2f} s"
        f"   max {max(delays):5.2f} s   ({len(delays)} events, {missing} not visible)"
    )


def batch_summary(batches: dict[int, dict[str, Any]]) -> str:
    """Median and max of the micro-batches' duration and steps, in ms."""
    if not batches:
        return "micro-batches: none seen in the heartbeat"
    series: dict[str, list[float]] = {}
    for batch in batches.values():
        for step, ms in {"batch": batch.get("duration_ms"), **batch.get("steps_ms", {})}.items():
            if ms is not None:
                series.setdefault(step, []).append(float(ms))
    parts = [f"{step} {statistics.median(v):.0f}/{max(v):.0f}" for step, v in series.items()]
    return f"micro-batches ({len(batches)} seen), median/max ms: " + ", ".join(parts)


def platform_settings(state: Path, trigger_s: float) -> Settings:
    return isolated_settings(state, streaming=StreamingSettings(trigger_interval_s=trigger_s))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--trigger", type=float, default=1.0, help="streaming trigger, s")
    parser.add_argument("--poll", type=float, default=0.5, help="Trino polling interval, s")
    parser.add_argument("--settle", type=float, default=20.0, help="wait for stragglers, s")
    parser.add_argument(
        "--warmup", type=float, default=180.0, help="traffic before measuring, s (JIT warm-up)"
    )
    parser.add_argument(
        "--load", type=float, default=2000.0, help="background events/s of the second run (0: none)"
    )
    parser.add_argument(
        "--load-warmup", type=float, default=30.0, help="background load before measuring, s"
    )
    parser.add_argument("--view-runs", type=int, default=10, help="timed view queries")
    parser.add_argument("--keep", action="store_true", help=KEEP_HELP)
    args = parser.parse_args()
    if args.rate * args.seconds > 20_000:
        parser.error("bounded: at most 20,000 events per run")

    with_collector = "collector" in BY_NAME
    state = run_dir("freshness")
    print(f"state dir {state}; starting services (takes a minute)", flush=True)
    settings = platform_settings(state, args.trigger)
    supervisor = supervisor_for(settings)
    try:
        names = ["kafka", "trino", *(["collector"] if with_collector else []), "streaming"]
        for name in names:
            start_service(BY_NAME[name], settings, supervisor)
        send = collector_sender(settings) if with_collector else kafka_sender(settings)
        leg = "collector POST /x/b answer (202 accepted)" if with_collector else "Kafka produce ack"
        if not with_collector:
            print("NOTE: no collector service: events go straight to Kafka; the collector leg")
            print("      is not included in these figures")
        warm_up(settings, send, args.poll, args.rate, args.warmup)
        quiet = measure(settings, send, args)
        loaded: list[str] = []
        load_rate = 0.0
        if args.load > 0:
            print(f"background load: {args.load:g} events/s straight to Kafka", flush=True)
            load = BackgroundLoad(settings, args.load)
            load.start()
            load_started = time.monotonic()
            time.sleep(args.load_warmup)
            loaded = measure(settings, send, args)
            load.stop.set()
            load.join()
            load_rate = load.sent / (time.monotonic() - load_started)
        view_median, view_max, view_rows = view_query_ms(settings, args.view_runs)
        progress = read_progress(settings) or {}
        memory = progress.get("memory", {})
        print(
            f"freshness: {args.rate:g} events/s measured for {args.seconds:g} s each run, "
            f"trigger {args.trigger:g} s, from the {leg} to visible in Trino"
        )
        print("quiet (no other traffic):")
        for line in quiet:
            print(f"  {line}")
        if loaded:
            print(f"under a background load of {load_rate:,.0f} events/s:")
            for line in loaded:
                print(f"  {line}")
        print(
            f"serving.live_minute_metrics, today: median {view_median:.0f} ms, max "
            f"{view_max:.0f} ms over {args.view_runs} queries ({view_rows} rows grouped)"
        )
        mib = 2**20
        print(
            f"streaming job memory: JVM heap used {memory.get('heap_used_bytes', 0) / mib:.0f}"
            f" MiB of {memory.get('heap_max_bytes', 0) / mib:.0f} MiB, JVM RSS "
            f"{memory.get('jvm_rss_bytes', 0) / mib:.0f} MiB, Python driver RSS "
            f"{memory.get('python_rss_bytes', 0) / mib:.0f} MiB"
        )
    finally:
        for name in ("streaming", "collector", "trino", "kafka"):
            supervisor.stop(name)
        discard(state, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
