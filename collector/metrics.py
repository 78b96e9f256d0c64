"""Counters and latency histograms, rendered as Prometheus text for /metrics.

Each collector worker process counts in its own :class:`Metrics` and, given a shared folder,
publishes a snapshot there every second; any worker's /metrics renders every worker's
series, told apart by a ``worker`` label (sum them across workers).
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from lakehouse.files import write_json_atomically

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HELP = {
    "collector_requests_total": "HTTP requests by protocol and status",
    "collector_events_accepted_total": "Events accepted (sent to Kafka or spooled) by protocol",
    "collector_events_rejected_total": "Events and requests rejected, by reason",
    "collector_spooled_total": "Records written to the local spool because Kafka was unreachable",
    "collector_replayed_total": "Records replayed from the spool into Kafka",
    "collector_unflushed_on_stop_total": "Records still in the producer at shutdown",
    "collector_produce_seconds": "Time from produce to the broker's acknowledgement, per batch",
    "collector_request_seconds": "Time to handle a request",
    "collector_step_seconds": "Time spent in each pipeline step",
}

Labels = tuple[tuple[str, str], ...]


class Metrics:
    """Thread-safe counters (with labels) and histograms; one instance per process."""

    def __init__(self, worker: str = "worker-0", shared: Path | None = None) -> None:
        self.worker = worker
        self.shared = shared
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._histograms: dict[str, dict[Labels, list[float]]] = defaultdict(dict)

    def count(self, name: str, value: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._counters[name][key] += value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            # buckets..., +Inf count, sum
            series = self._histograms[name].setdefault(key, [0.0] * (len(LATENCY_BUCKETS) + 2))
            series[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
            series[-1] += seconds

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._counters[name].get(tuple(sorted(labels.items())), 0.0)

    def snapshot(self) -> Snapshot:
        """This worker's series, labelled with the worker."""
        mine = (("worker", self.worker),)
        with self._lock:
            counters = {
                name: {(*mine, *key): value for key, value in series.items()}
                for name, series in self._counters.items()
            }
            histograms = {
                name: {(*mine, *key): list(counts) for key, counts in series.items()}
                for name, series in self._histograms.items()
            }
        return counters, histograms

    def publish(self) -> None:
        """Write this worker's snapshot into the shared folder (atomically)."""
        if self.shared is None:
            return
        counters, histograms = self.snapshot()
        document = {
            "counters": {n: [[list(k), v] for k, v in s.items()] for n, s in counters.items()},
            "histograms": {n: [[list(k), c] for k, c in s.items()] for n, s in histograms.items()},
        }
        write_json_atomically(self.shared / f"{self.worker}.json", document)

    def _peers(self) -> list[Snapshot]:
        """The other workers' last snapshots (a worker silent for a minute is gone)."""
        if self.shared is None:
            return []
        peers: list[Snapshot] = []
        for path in sorted(self.shared.glob("*.json")):
            if path.stem == self.worker or time.time() - _mtime(path) > PEER_TIMEOUT_S:
                continue
            try:
                document: dict[str, Any] = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            peers.append(
                (
                    {n: {_key(k): v for k, v in s} for n, s in document["counters"].items()},
                    {n: {_key(k): c for k, c in s} for n, s in document["histograms"].items()},
                )
            )
        return peers

    def render(self) -> str:
        counters: dict[str, dict[Labels, float]] = defaultdict(dict)
        histograms: dict[str, dict[Labels, list[float]]] = defaultdict(dict)
        for worker_counters, worker_histograms in (self.snapshot(), *self._peers()):
            for name, series in worker_counters.items():
                counters[name].update(series)
            for name, hseries in worker_histograms.items():
                histograms[name].update(hseries)
        lines: list[str] = []
        for name, series in sorted(counters.items()):
            lines += [f"# HELP {name} {HELP.get(name, name)}", f"# TYPE {name} counter"]
            lines += [f"{name}{_labels(key)} {value:g}" for key, value in sorted(series.items())]
        for name, by_key in sorted(histograms.items()):
            lines += [f"# HELP {name} {HELP.get(name, name)}", f"# TYPE {name} histogram"]
            for key, counts in sorted(by_key.items()):
                cumulative = 0.0
                for bound, count in zip((*LATENCY_BUCKETS, "+Inf"), counts[:-1], strict=True):
                    cumulative += count
                    le = bound if isinstance(bound, str) else f"{bound:g}"
                    lines.append(f"{name}_bucket{_labels((*key, ('le', le)))} {cumulative:g}")
                lines.append(f"{name}_count{_labels(key)} {cumulative:g}")
                lines.append(f"{name}_sum{_labels(key)} {counts[-1]:.6f}")
        return "\n".join(lines) + "\n"


PEER_TIMEOUT_S = 60.0
Snapshot = tuple[dict[str, dict[Labels, float]], dict[str, dict[Labels, list[float]]]]


def _key(pairs: list[list[str]]) -> Labels:
    return tuple((k, v) for k, v in pairs)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _labels(key: Labels) -> str:
    if not key:
        return ""
    escaped = (f'{k}="{v}"'.replace("\n", " ") for k, v in key)
    return "{" + ",".join(escaped) + "}"
