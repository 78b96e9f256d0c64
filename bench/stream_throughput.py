"""Sustained throughput of the streaming job: the highest events/s it keeps up with.

Starts its own Kafka broker on free loopback ports in a temporary state dir, loads
--events enriched events.v1 records into events.v1, then starts the streaming job
(`python -m streaming`, --cores local cores, its own batch size) and lets it drain the
backlog; each micro-batch writes raw.events and live.minute_metrics before the next one
starts. The rate is the rows of the batches after --warmup-batches over their wall time
(read from the query's checkpoint), and a job that drains R events/s keeps up with any steady
rate below R: above it, the lag grows. Then a bare job (:mod:`bench.bare_stream`: the
records' value appended to Delta, with the same Spark settings, source and trigger) drains
the same backlog, the ceiling of a Spark job on this machine, and the job's rate is printed
as a share of it. Prints the rates, the batch sizes and times with the share of each step,
and the job's peak memory; stops everything and deletes its state.

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

from bench.bare_stream import QUERY_NAME as BARE_QUERY
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


def start_process(module: list[str], settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *module],
            cwd=REPO,
            env={**inherited_env(), **settings_env(settings)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(job: subprocess.Popen[bytes]) -> None:
    if job.poll() is None:
        os.kill(job.pid, signal.SIGTERM)
        try:
            job.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()


@dataclass
class Drained:
    """What a job did with the backlog: its batches, the job's steps and peak memory."""

    batches: dict[int, Batch]
    steps: dict[int, dict[str, int]]
    peak_rss: int = 0
    peak_heap: int = 0


def drain(
    job: subprocess.Popen[bytes],
    checkpoint: Path,
    settings: Settings,
    events: int,
    timeout: float,
    log: Path,
) -> Drained:
    """Watch ``job`` until its checkpoint has every event of the backlog (or the timeout)."""
    started = time.monotonic()
    drained = Drained(batches={}, steps={})
    while not seen_all(drained.batches, events) and time.monotonic() - started < timeout:
        if job.poll() is not None:
            raise SystemExit(f"{log.stem} exited with {job.returncode}; see {log}")
        time.sleep(0.5)
        drained.batches = committed_batches(checkpoint)
        progress = read_progress(settings)
        if not progress:
            continue
        memory = progress.get("memory", {})
        drained.peak_rss = max(drained.peak_rss, int(memory.get("jvm_rss_bytes", 0)))
        drained.peak_heap = max(drained.peak_heap, int(memory.get("heap_used_bytes", 0)))
        last = progress.get("last_batch") or {}
        if last.get("rows"):
            drained.steps[int(last["batch_id"])] = last.get("steps_ms") or {}
    return drained


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
    parser.add_argument(
        "--no-bare", action="store_true", help="skip the bare Kafka -> Delta job (the ceiling)"
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
        job = start_process(["streaming"], settings, log)
        checkpoint = Path(checkpoint_root(settings)) / QUERY_NAME
        drained = drain(job, checkpoint, settings, args.events, args.timeout, log)
        stop_process(job)
        bare: Drained | None = None
        if not args.no_bare:
            print("the streaming job drained the backlog; now the bare job on it", flush=True)
            bare_log = settings.logs_path / "bare_stream.log"
            job = start_process(
                ["bench.bare_stream", str(state / "bare_values")], settings, bare_log
            )
            bare_checkpoint = Path(checkpoint_root(settings)) / BARE_QUERY
            bare = drain(job, bare_checkpoint, settings, args.events, args.timeout, bare_log)
            stop_process(job)
        mib = 2**20
        print(
            f"stream throughput on local[{args.cores}], trigger {args.trigger:g} s, "
            f"maxOffsetsPerTrigger {args.max_offsets}, driver memory {args.driver_memory}:"
        )
        if not seen_all(drained.batches, args.events):
            print(f"  did not drain {args.events} events within {args.timeout:g}s")
        measured = sustained(drained.batches, args.warmup_batches)
        if measured is None:
            print("  too few batches for a sustained rate: send more --events")
        else:
            rate, ids = measured
            print(
                f"  raw.events + live metrics {rate:10,.0f} events/s sustained "
                f"(batches {ids[0]}-{ids[-1]} back to back: their rows / their wall time)"
            )
        ceiling = sustained(bare.batches, args.warmup_batches) if bare else None
        if ceiling is not None:
            bare_rate, bare_ids = ceiling
            print(
                f"  bare Kafka -> Delta      {bare_rate:10,.0f} events/s sustained "
                f"(batches {bare_ids[0]}-{bare_ids[-1]}: the value appended, nothing else)"
            )
            if measured is not None:
                print(f"  the job's rate is {measured[0] / bare_rate:.0%} of the bare job's")
        for batch_id, batch in sorted(drained.batches.items())[:8]:
            split = ", ".join(
                f"{k} {v / 1000:.1f}s" for k, v in drained.steps.get(batch_id, {}).items()
            )
            print(f"  batch {batch_id}: {batch.rows} rows in {batch.ms / 1000:.1f}s ({split})")
        if bare is not None:
            sizes = ", ".join(
                f"{b.rows} in {b.ms / 1000:.1f}s" for _, b in sorted(bare.batches.items())[:8]
            )
            print(f"  bare batches: {sizes}")
        print(
            f"  peak JVM RSS {drained.peak_rss / mib:.0f} MiB, "
            f"peak heap used {drained.peak_heap / mib:.0f} MiB"
        )
    finally:
        if job is not None:
            stop_process(job)
        supervisor.stop("kafka")
        discard(state, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
