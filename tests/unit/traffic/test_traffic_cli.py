"""`beacon simulate` ends with one line when it cannot run: no collector, a span the
collector would refuse."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lakehouse.settings import load_settings
from stack.supervisor import free_port
from traffic.simulate import days_span

BEACON = str(Path(sys.executable).parent / "beacon")


def simulate(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BEACON_STATE_DIR": str(tmp_path / "state")}
    return subprocess.run(
        [BEACON, "simulate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("beacon: error: "), result.stderr
    return lines[0]


def test_no_collector_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    line = one_line_error(simulate("--visitors", "5", "--collector", url, tmp_path=tmp_path))
    assert f"not reachable at {url}" in line
    assert "beacon up collector" in line


def test_a_span_past_the_collectors_age_limit_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(simulate("--minutes", str(73 * 60), tmp_path=tmp_path))
    assert "max_event_age_hours" in line


def test_days_are_the_last_days_and_today_inside_the_collectors_window() -> None:
    settings = load_settings()
    morning = datetime(2026, 3, 15, 6, 0, tzinfo=UTC)
    assert days_span(1, morning, settings) == timedelta(hours=30)
    # three days and today reach past 72 h: cut an hour short of it
    assert days_span(3, morning, settings) == timedelta(hours=71)
    assert (morning - days_span(3, morning, settings)).date() == date(2026, 3, 12)


def test_zero_days_is_one_line(tmp_path: Path) -> None:
    assert "--days must be at least 1" in one_line_error(simulate("--days", "0", tmp_path=tmp_path))
