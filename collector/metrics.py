"""The collector's Prometheus metrics: every series it exports, declared once, rendered by
``prometheus_client``.

The collector's ``collector.workers`` processes share one port, so a scrape lands on any one
of them. They count in prometheus_client's multiprocess mode: each process writes its values
to memory-mapped files in one folder (:func:`share_between_workers`, called by the parent
before the workers start), and any worker's /metrics renders the sum over every process that
has written there since the collector started. A :class:`Metrics` without a folder counts in
its own registry: one process, as in the tests.
"""

from __future__ import annotations

import atexit
import bisect
import os
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True)
class Series:
    """One exported metric: its name as scraped, its help text and its label names."""

    name: str
    help: str
    labels: tuple[str, ...] = ()


COUNTERS = (
    Series(
        "collector_requests_total", "HTTP requests by protocol and status", ("protocol", "status")
    ),
    Series(
        "collector_events_accepted_total",
        "Events accepted (sent to Kafka or spooled) by protocol",
        ("protocol",),
    ),
    Series(
        "collector_events_rejected_total", "Events and requests rejected, by reason", ("reason",)
    ),
    Series(
        "collector_events_truncated_total",
        "Accepted events cut to fit their bounds (carrying the _truncated property), by protocol",
        ("protocol",),
    ),
    Series(
        "collector_rate_limited_total",
        "Requests answered 429, by the limit they passed (address or site)",
        ("limit",),
    ),
    Series(
        "collector_spooled_total",
        "Records written to the local spool because Kafka was unreachable",
    ),
    Series("collector_replayed_total", "Records replayed from the spool into Kafka"),
    Series(
        "collector_replay_failures_total",
        "Spool replay rounds that failed, by cause (kafka: not acknowledged; error: raised)",
        ("cause",),
    ),
    Series("collector_unflushed_on_stop_total", "Records still in the producer at shutdown"),
)
HISTOGRAMS = (
    Series(
        "collector_produce_seconds", "Time from produce to the broker's acknowledgement, per batch"
    ),
    Series("collector_request_seconds", "Time to handle a request"),
    Series("collector_step_seconds", "Time spent in each pipeline step, per request", ("step",)),
)

_HISTOGRAM_LABELS = {series.name: series.labels for series in HISTOGRAMS}

# The _created series carry a process's start time: meaningless summed over workers.
disable_created_metrics()  # type: ignore[no-untyped-call]


def share_between_workers(folder: Path) -> None:
    """Make ``folder`` the empty folder every worker process started after this counts in.

    Call it in the parent process before the workers start: they inherit the variable, and
    prometheus_client reads it when it is first imported. Values of an earlier run go."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR_ENV] = str(folder)


FLUSH_EVERY_S = 1.0
"""How often a process's counts reach prometheus_client (and so the other workers' scrapes)."""

Key = tuple[str, tuple[str, ...]]
"""A series: its name and label values."""


class _Observed:
    """A histogram series' observations since the last flush, by bucket."""

    __slots__ = ("buckets", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0

    def take(self) -> tuple[list[int], float]:
        """The observations so far (counts by bucket, their sum), and none from now on."""
        taken = self.buckets, self.total
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0
        return taken


class Metrics:
    """Counters and latency histograms of one process, by the names in :data:`COUNTERS` and
    :data:`HISTOGRAMS`; ``shared`` is the workers' folder (see :func:`share_between_workers`).

    A request counts into plain dictionaries under a lock; a thread hands the sums to
    prometheus_client every :data:`FLUSH_EVERY_S`, as does :meth:`render` and the process's
    exit. In multiprocess mode each prometheus_client update is a locked write to a
    memory-mapped file, several per request; summed first, they are a few per second
    (docs/tuning.md). A scrape of another worker sees this one's counts at most that late."""

    def __init__(self, shared: Path | None = None) -> None:
        self.shared = shared
        if shared is not None:
            _count_in(shared)
        self._registry = CollectorRegistry(auto_describe=True)
        self._counters = {
            s.name: Counter(s.name, s.help, s.labels, registry=self._registry) for s in COUNTERS
        }
        self._histograms = {
            s.name: Histogram(
                s.name, s.help, s.labels, buckets=LATENCY_BUCKETS, registry=self._registry
            )
            for s in HISTOGRAMS
        }
        # A labelled series' child, by (name, label values), looked up once (docs/tuning.md).
        self._counted: dict[Key, Counter] = {}
        self._observed: dict[Key, Histogram] = {}
        self._lock = threading.Lock()
        self._pending_counts: dict[Key, float] = {}
        # A histogram series' observations, kept for the process's life (flushes empty it).
        self._observations: dict[Key, _Observed] = {}
        self._groups: dict[tuple[str, tuple[str, ...]], tuple[_Observed, ...]] = {}
        self._flusher = threading.Thread(target=self._flush_forever, name="metrics", daemon=True)
        self._flusher.start()
        atexit.register(self.flush)

    def count(self, name: str, value: float = 1, **labels: str) -> None:
        key = (name, tuple(labels.values()))
        if key not in self._counted:  # a new series: its name and labels checked once
            _child(self._counters, self._counted, name, labels)
        with self._lock:
            self._pending_counts[key] = self._pending_counts.get(key, 0.0) + value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        key = (name, tuple(labels.values()))
        observed = self._observations.get(key)
        if observed is None:  # a new series: its name and labels checked once
            observed = self._new_observed(key, labels)
        bucket = bisect.bisect_left(LATENCY_BUCKETS, seconds)
        with self._lock:
            observed.buckets[bucket] += 1
            observed.total += seconds

    def observe_each(
        self, name: str, values: tuple[str, ...], amounts: Sequence[float | None]
    ) -> None:
        """``observe`` of ``name`` for each value of its one label in ``values`` with the
        amount at the same position of ``amounts`` (None: none). One lock for them all: a
        request's step times (docs/tuning.md)."""
        group = self._groups.get((name, values))
        if group is None:  # new series: their name and label checked once
            group = self._groups[name, values] = self._new_group(name, values)
        with self._lock:
            for observed, amount in zip(group, amounts, strict=True):
                if amount is not None:
                    observed.buckets[bisect.bisect_left(LATENCY_BUCKETS, amount)] += 1
                    observed.total += amount

    def _new_observed(self, key: Key, labels: dict[str, str]) -> _Observed:
        _child(self._histograms, self._observed, key[0], labels)
        with self._lock:
            return self._observations.setdefault(key, _Observed())

    def _new_group(self, name: str, values: tuple[str, ...]) -> tuple[_Observed, ...]:
        label = _HISTOGRAM_LABELS.get(name, ())
        if len(label) != 1:
            raise ValueError(f"{name} is not a collector histogram with one label")
        return tuple(self._new_observed((name, (value,)), {label[0]: value}) for value in values)

    def flush(self) -> None:
        """Hand the counts since the last flush to prometheus_client."""
        with self._lock:
            counts, self._pending_counts = self._pending_counts, {}
            observations = [(key, observed.take()) for key, observed in self._observations.items()]
        for key, value in counts.items():
            self._counted[key].inc(value)
        for key, (buckets, total) in observations:
            if any(buckets):
                _add_observations(self._observed[key], buckets, total)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_EVERY_S)
            self.flush()

    def value(self, name: str, **labels: str) -> float:
        """A counter's value in this process (tests)."""
        self.flush()
        found = self._registry.get_sample_value(name, labels)
        return found or 0.0

    def render(self) -> bytes:
        """The Prometheus text exposition: every worker's values summed, or this process's."""
        self.flush()
        if self.shared is None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(self.shared))  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def _add_observations(histogram: Histogram, buckets: list[int], total: float) -> None:
    """Add many observations to a histogram series at once, ``buckets`` their count in each
    bucket and ``total`` their sum: what ``observe`` does for one (its sum, and the one
    bucket an amount falls in: prometheus_client keeps them apart and accumulates them when
    collected), through its own values. The one place that relies on prometheus_client's
    internals; tests/unit/test_collector_metrics.py checks the result against ``observe``."""
    histogram._sum.inc(total)
    for bucket, count in zip(histogram._buckets, buckets, strict=True):
        if count:
            bucket.inc(count)


Family = TypeVar("Family", Counter, Histogram)


def _child(
    families: dict[str, Family],
    children: dict[Key, Family],
    name: str,
    labels: dict[str, str],
) -> Family:
    key = (name, tuple(labels.values()))
    child = children.get(key)
    if child is None:
        family = families.get(name)
        if family is None:
            raise KeyError(f"{name} is not a declared collector metric")
        child = children[key] = family.labels(**labels) if labels else family
    return child


def _count_in(folder: Path) -> None:
    """Switch this process's values to the files in ``folder``, unless its parent already did
    (a worker started some other way than ``python -m collector``)."""
    folder.mkdir(parents=True, exist_ok=True)
    multiprocess = getattr(values.ValueClass, "_multiprocess", False)
    if not multiprocess or os.environ.get(MULTIPROCESS_DIR_ENV) != str(folder):
        os.environ[MULTIPROCESS_DIR_ENV] = str(folder)
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
