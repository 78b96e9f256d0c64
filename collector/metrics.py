"""In-process counters and latency histograms, rendered as Prometheus text for /metrics."""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

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

    def __init__(self) -> None:
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

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            for name, series in sorted(self._counters.items()):
                lines += [f"# HELP {name} {HELP.get(name, name)}", f"# TYPE {name} counter"]
                lines += [
                    f"{name}{_labels(key)} {value:g}" for key, value in sorted(series.items())
                ]
            for name, histograms in sorted(self._histograms.items()):
                lines += [f"# HELP {name} {HELP.get(name, name)}", f"# TYPE {name} histogram"]
                for key, counts in sorted(histograms.items()):
                    cumulative = 0.0
                    for bound, count in zip((*LATENCY_BUCKETS, "+Inf"), counts[:-1], strict=True):
                        cumulative += count
                        le = bound if isinstance(bound, str) else f"{bound:g}"
                        lines.append(f"{name}_bucket{_labels((*key, ('le', le)))} {cumulative:g}")
                    lines.append(f"{name}_count{_labels(key)} {cumulative:g}")
                    lines.append(f"{name}_sum{_labels(key)} {counts[-1]:.6f}")
        return "\n".join(lines) + "\n"


def _labels(key: Labels) -> str:
    if not key:
        return ""
    escaped = (f'{k}="{v}"'.replace("\n", " ") for k, v in key)
    return "{" + ",".join(escaped) + "}"
