"""Metrics of several collector workers: each publishes, any one renders them all."""

from __future__ import annotations

import os
import time
from pathlib import Path

from collector.metrics import PEER_TIMEOUT_S, Metrics


def test_every_workers_series_render_with_a_worker_label(tmp_path: Path) -> None:
    first = Metrics(worker="worker-0", shared=tmp_path)
    second = Metrics(worker="worker-1", shared=tmp_path)
    first.count("collector_events_accepted_total", 3, protocol="native")
    second.count("collector_events_accepted_total", 5, protocol="native")
    second.observe("collector_request_seconds", 0.003)
    second.publish()

    text = first.render()
    assert 'collector_events_accepted_total{worker="worker-0",protocol="native"} 3' in text
    assert 'collector_events_accepted_total{worker="worker-1",protocol="native"} 5' in text
    assert 'collector_request_seconds_count{worker="worker-1"} 1' in text
    assert text.count("# TYPE collector_events_accepted_total counter") == 1

    # Its own series are live, not the last published ones.
    first.publish()
    first.count("collector_events_accepted_total", 1, protocol="native")
    assert (
        'collector_events_accepted_total{worker="worker-0",protocol="native"} 4' in first.render()
    )


def test_a_worker_silent_for_a_minute_is_left_out(tmp_path: Path) -> None:
    gone = Metrics(worker="worker-7", shared=tmp_path)
    gone.count("collector_spooled_total", 2)
    gone.publish()
    stale = time.time() - PEER_TIMEOUT_S - 1
    os.utime(tmp_path / "worker-7.json", (stale, stale))
    assert "worker-7" not in Metrics(worker="worker-0", shared=tmp_path).render()
