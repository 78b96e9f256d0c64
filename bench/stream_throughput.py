"""Sustained throughput of the streaming job: the highest events/s it keeps up with.

Starts its own Kafka broker on free loopback ports in a temporary state dir, loads
--events enriched events.v1 records into events.v1, then starts the streaming job
(`python -m streaming`, --cores local cores, its own batch size) and lets it drain the
backlog; each micro-batch writes raw.events and live.minute_metrics before the next one
starts. The rate is the rows of the batches after --warmup-batches over their wall time
(read from the query's checkpoint), and a job that drains R events/s keeps up with any steady
rate below R: above it, the lag grows. Prints the rate, the batch sizes and times with the
share of each step, and the job's peak memory; stops everything and deletes its state.

    .venv/bin/python -m bench.stream_throughput [--events 1000000] [--cores 2] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.workdir import KEEP_HELP, discard, run_dir
from lakehouse.settings import (
    Settings,
    SparkSettings,
    StreamingSettings,
    settings_env,
)
from stack.kafka_broker import KAFKA
from stack.lifecycle import start_service, supervisor_for
from stack.state import isolated_settings
from stack.supervisor import inherited_env
from streaming.job import QUERY_NAME
from streaming.progress import read_progress
from streaming.spark_config import checkpoint_root

REPO = Path(__file__).resolve().parent.parent
PATHS = tuple(f"/product/{n}" for n in range(300))
COUNTRIES = ("DE", "FR", "US", "GB", "NL", "ES", "IT", "PL")
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge")


def records(count: int) -> list[bytes]:
    """Enriched records as the collector produces them: 5,000 visitors over 2 sites."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    out = []
    for n in range(count):
        ts = (start + timedelta(microseconds=n * 500)).isoformat()
        record: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "type": "page" if n % 4 else "track",
            "name": "pageview" if n % 4 else "add_to_cart",
            "site_id": f"bench-{n % 2}",
            "anonymous_id": f"v{n % 5000}",
            "session_id": f"s{n % 5000}",
            "client_ts": ts,
            "url": f"https://shop.example{PATHS[n % 300]}?utm_source=news",
            "path": PATHS[n % 300],
            "title": "Product",
            "referrer": "https://www.google.com/",
            "utm_source": "news",
            "screen_width": 1920,
            "screen_height": 1080,
            "language": "en-US",
            "properties": {"sku": str(n % 300)},
            "received_at": ts,
            "protocol": "native",
            "visitor_id": f"v{n % 5000}",
            "browser": BROWSERS[n % 4],
            "browser_version": "126",
            "os": "Windows",
            "device_type": "desktop",
            "is_bot": False,
            "country": COUNTRIES[n % 8],
            "referrer_class": "search",
        }
        out.append(json.dumps(record).encode())
    return out


@dataclass(frozen=True)
class Batch:
    """A committed micro-batch of the query, as its checkpoint records it."""

    rows: int
    started_at: datetime
    ms: int


def committed_batches(checkpoint: Path) -> dict[int, Batch]:
    """The query's committed batches: rows from the Kafka offsets each batch was planned up to
    (a fresh topic starts at 0), start from the offset log's batch timestamp, end from the
    time its commit file was written. Exact, where the heartbeat shows only the last batch."""
    ends: dict[int, list[int]] = {}
    batches: dict[int, Batch] = {}
    for entry in sorted((checkpoint / "offsets").glob("[0-9]*"), key=lambda f: int(f.name)):
        batch_id = int(entry.name)
        lines = entry.read_text().splitlines()
        if len(lines) < 3:
            continue  # being written
        ends[batch_id] = [
            int(offset) for part in json.loads(lines[2]).values() for offset in part.values()
        ]
        commit = checkpoint / "commits" / entry.name
        if not commit.exists():
            continue
        started_ms = int(json.loads(lines[1])["batchTimestampMs"])
        before = ends.get(batch_id - 1, [0] * len(ends[batch_id]))
        batches[batch_id] = Batch(
            rows=sum(ends[batch_id]) - sum(before),
            started_at=datetime.fromtimestamp(started_ms / 1000, UTC),
            ms=round(commit.stat().st_mtime * 1000) - started_ms,
        )
    return batches


def seen_all(batches: dict[int, Batch], events: int) -> bool:
    return sum(batch.rows for batch in batches.values()) >= events


def sustained(batches: dict[int, Batch], warmup: int) -> tuple[float, list[int]] | None:
    """Events/s over the consecutive batches after the first ``warmup`` ones (those also pay
    for the JIT compiling the job's code and the tables' first snapshots): their rows over
    the time from the start of the first of them to the end of the last, the job reading a
    backlog back to back."""
    ids = sorted(i for i, batch in batches.items() if batch.rows)[warmup:]
    if not ids:
        return None
    first, last = batches[ids[0]], batches[ids[-1]]
    wall_s = (last.started_at - first.started_at).total_seconds() + last.ms / 1000
    return sum(batches[i].rows for i in ids) / max(wall_s, 1e-9), ids


def load_backlog(settings: Settings, values: list[bytes]) -> float:
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        max_request_size=8 * 2**20,
    )
    started = time.monotonic()
    for n, value in enumerate(values):
        producer.send(settings.kafka.events_topic, key=f"k{n % 5000}".encode(), value=value)
    producer.flush(timeout=300)
    producer.close()
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--trigger", type=float, default=2.0)
    parser.add_argument(
        "--max-offsets",
        type=int,
        default=StreamingSettings().max_offsets_per_trigger,
        help="per trigger (default: the job's own)",
    )
    parser.add_argument("--driver-memory", default="1g")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--warmup-batches", type=int, default=2, help="batches before the measured ones"
    )
    parser.add_argument("--keep", action="store_true", help=KEEP_HELP)
    args = parser.parse_args()
    if not 1_000 <= args.events <= 2_000_000:
        parser.error("bounded: --events between 1,000 and 2,000,000")

    state = run_dir("throughput")
    settings = isolated_settings(
        state,
        spark=SparkSettings(master=f"local[{args.cores}]"),
        streaming=StreamingSettings(
            trigger_interval_s=args.trigger,
            max_offsets_per_trigger=args.max_offsets,
            driver_memory=args.driver_memory,
        ),
    )
    supervisor = supervisor_for(settings)
    job: subprocess.Popen[bytes] | None = None
    try:
        print(f"state dir {state}; starting Kafka", flush=True)
        start_service(KAFKA, settings, supervisor)
        values = records(args.events)
        took = load_backlog(settings, values)
        print(f"loaded {args.events} events into Kafka in {took:.1f}s", flush=True)

        log = settings.logs_path / "streaming.log"
        with log.open("ab") as out:
            job = subprocess.Popen(
                [sys.executable, "-m", "streaming"],
                cwd=REPO,
                env={**inherited_env(), **settings_env(settings)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        checkpoint = Path(checkpoint_root(settings)) / QUERY_NAME
        peak_rss = peak_heap = 0
        steps: dict[int, dict[str, int]] = {}
        batches: dict[int, Batch] = {}
        while not seen_all(batches, args.events) and time.monotonic() - started < args.timeout:
            if job.poll() is not None:
                raise SystemExit(f"streaming job exited with {job.returncode}; see {log}")
            time.sleep(0.5)
            batches = committed_batches(checkpoint)
            progress = read_progress(settings)
            if not progress:
                continue
            memory = progress.get("memory", {})
            peak_rss = max(peak_rss, int(memory.get("jvm_rss_bytes", 0)))
            peak_heap = max(peak_heap, int(memory.get("heap_used_bytes", 0)))
            last = progress.get("last_batch") or {}
            if last.get("rows"):
                steps[int(last["batch_id"])] = last.get("steps_ms") or {}
        mib = 2**20
        print(
            f"stream throughput on local[{args.cores}], trigger {args.trigger:g} s, "
            f"maxOffsetsPerTrigger {args.max_offsets}, driver memory {args.driver_memory}:"
        )
        if not seen_all(batches, args.events):
            print(f"  did not drain {args.events} events within {args.timeout:g}s")
        measured = sustained(batches, args.warmup_batches)
        if measured is None:
            print("  too few batches for a sustained rate: send more --events")
        else:
            rate, ids = measured
            print(
                f"  raw.events + live metrics {rate:10,.0f} events/s sustained "
                f"(batches {ids[0]}-{ids[-1]} back to back: their rows / their wall time)"
            )
        for batch_id, batch in sorted(batches.items())[:8]:
            split = ", ".join(f"{k} {v / 1000:.1f}s" for k, v in steps.get(batch_id, {}).items())
            print(f"  batch {batch_id}: {batch.rows} rows in {batch.ms / 1000:.1f}s ({split})")
        print(f"  peak JVM RSS {peak_rss / mib:.0f} MiB, peak heap used {peak_heap / mib:.0f} MiB")
    finally:
        if job is not None and job.poll() is None:
            os.kill(job.pid, signal.SIGTERM)
            try:
                job.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(job.pid, signal.SIGKILL)
        supervisor.stop("kafka")
        discard(state, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
