"""The collector's metrics: prometheus_client's exposition, and the sum over every worker
process of the one port (multiprocess mode, each worker a real process here)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from collector.metrics import (
    LATENCY_BUCKETS,
    MULTIPROCESS_DIR_ENV,
    Metrics,
    share_between_workers,
)
from tests.support.in_process_collector import Collector


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_label_value_with_quotes_and_backslashes_renders_escaped() -> None:
    metrics = Metrics()
    awkward = 'say "hi" \\ C:\\path\nnext'
    metrics.count("collector_events_rejected_total", reason=awkward)
    text = metrics.render().decode()
    assert 'reason="say \\"hi\\" \\\\ C:\\\\path\\nnext"' in text
    assert samples(text)[("collector_events_rejected_total", (("reason", awkward),))] == 1


def test_every_declared_series_is_there_and_an_unknown_name_is_an_error() -> None:
    metrics = Metrics()
    metrics.observe("collector_step_seconds", 0.002, step="parse")
    text = metrics.render().decode()
    for name in ("collector_requests_total", "collector_replay_failures_total"):
        assert f"# TYPE {name} counter" in text
    assert "# TYPE collector_request_seconds histogram" in text
    assert 'collector_step_seconds_bucket{le="0.0025",step="parse"} 1.0' in text
    assert "_created" not in text
    with pytest.raises(KeyError, match="not a declared collector metric"):
        metrics.count("collector_typo_total")


def in_a_worker(folder: Path, code: str, inherit: bool = True) -> str:
    """Run ``code`` with ``metrics = Metrics(shared=folder)`` in a process of its own, as a
    worker of ``python -m collector`` (``inherit``: the variable set by the parent)."""
    env = {k: v for k, v in os.environ.items() if k != MULTIPROCESS_DIR_ENV}
    if inherit:
        env[MULTIPROCESS_DIR_ENV] = str(folder)
    program = (
        "from pathlib import Path\nfrom collector.metrics import Metrics\n"
        f"metrics = Metrics(shared=Path({str(folder)!r}))\n{code}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, timeout=120, check=True
    )
    return done.stdout.decode()


def test_any_worker_renders_the_sum_of_every_workers_series(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "metrics"
    (tmp_path / "metrics").mkdir()
    (folder / "counter_999999.db").write_bytes(b"left by an earlier run")
    monkeypatch.setenv(MULTIPROCESS_DIR_ENV, "restored after the test")
    share_between_workers(folder)  # as the parent does before starting the workers
    assert os.environ[MULTIPROCESS_DIR_ENV] == str(folder)
    assert not any(folder.iterdir())

    accepted = "metrics.count('collector_events_accepted_total', {n}, protocol='native')"
    in_a_worker(folder, accepted.format(n=3))  # a worker that has exited still counts
    in_a_worker(
        folder,
        accepted.format(n=5) + "\nmetrics.observe('collector_request_seconds', 0.003)",
        inherit=False,  # started some other way: it finds the folder by itself
    )
    text = in_a_worker(folder, "print(metrics.render().decode())")
    found = samples(text)
    assert found[("collector_events_accepted_total", (("protocol", "native"),))] == 8
    assert found[("collector_request_seconds_count", ())] == 1
    assert found[("collector_request_seconds_bucket", (("le", "0.005"),))] == 1
    assert text.count("# TYPE collector_events_accepted_total counter") == 1


def test_observations_summed_before_they_reach_prometheus_client_render_as_observe_would() -> None:
    """The collector sums a process's observations and adds them in one go, through
    prometheus_client's own values: the rendered histogram must be observe's, to the bucket."""
    amounts = [0.0001, 0.0005, 0.0005, 0.003, 0.02, 0.7, 9.0]
    metrics = Metrics()
    reference = CollectorRegistry()
    histogram = Histogram(
        "collector_request_seconds", "reference", buckets=LATENCY_BUCKETS, registry=reference
    )
    for amount in amounts:
        metrics.observe("collector_request_seconds", amount)
        histogram.observe(amount)
    ours = samples(metrics.render().decode())
    expected = samples(generate_latest(reference).decode())
    assert expected  # the reference has its buckets, count and sum
    for series, value in expected.items():
        assert ours[series] == pytest.approx(value), series


def test_a_count_with_undeclared_labels_is_refused_and_leaves_the_others_counting() -> None:
    metrics = Metrics()
    with pytest.raises(ValueError, match="label"):
        metrics.count("collector_events_accepted_total", colour="blue")
    metrics.count("collector_events_accepted_total", 2, protocol="native")
    assert metrics.value("collector_events_accepted_total", protocol="native") == 2


def test_observations_of_each_label_render_as_one_observe_each() -> None:
    each, one_by_one = Metrics(), Metrics()
    steps = ("parse", "enrich", "validate", "route")
    requests = [(0.0004, 0.002, None, 7.0), (0.03, None, None, 0.0)]
    for amounts in requests:
        each.observe_each("collector_step_seconds", steps, amounts)
        each.flush()  # a flush between requests takes nothing from the next
        for step, amount in zip(steps, amounts, strict=True):
            if amount is not None:
                one_by_one.observe("collector_step_seconds", amount, step=step)
    rendered = samples(each.render().decode())
    never = ("collector_step_seconds_count", (("step", "validate"),))
    assert rendered.pop(never) == 0  # a series from the start, never observed
    assert {k: v for k, v in rendered.items() if ("step", "validate") not in k[1]} == samples(
        one_by_one.render().decode()
    )
    with pytest.raises(ValueError, match="one label"):
        each.observe_each("collector_request_seconds", ("parse",), (0.1,))


def step_counts(collector: Collector) -> dict[str, float]:
    return {
        dict(labels)["step"]: value
        for (name, labels), value in samples(collector.metrics.render().decode()).items()
        if name == "collector_step_seconds_count"
    }


def test_each_step_a_request_ran_is_timed_once(tmp_path: Path) -> None:
    collector = Collector(tmp_path)
    now = datetime.now(UTC).isoformat()
    good = {"event_id": "e-1", "type": "page", "name": "pageview", "site_id": "demo-shop"}
    good |= {"client_ts": now, "url": "https://shop.example/"}
    batch = [good, {**good, "event_id": "e-2"}]
    assert collector.request("POST", "/x/b", json=batch).status_code == 202
    every = ("parse", "authorize", "validate", "check_clock", "enrich", "route")
    assert step_counts(collector) == dict.fromkeys(every, 1.0)
    invalid = [{**good, "type": "nonsense"}]  # refused by validate: no later event step runs
    assert collector.request("POST", "/x/b", json=invalid).status_code == 400
    counts = step_counts(collector)
    assert counts == {**dict.fromkeys(every, 2.0), "check_clock": 1.0, "enrich": 1.0}
