"""The batch jobs' command line and the site registry: bad input is one line, before any
Spark starts; good registry entries become the conditions the jobs match."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse.settings import DEMO_SITES, SettingsError, load_settings
from lakehouse.sites import Goal, path_regex
from spark_jobs.cli import main
from spark_jobs.window import DayWindow, parse_ds

REPO = Path(__file__).resolve().parents[3]


def one_line_error(capsys: pytest.CaptureFixture[str], job: str, *argv: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(job, list(argv))
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("beacon: error: ")
    return lines[0]


@pytest.mark.parametrize("ds", ["2026-13-01", "yesterday", "2026-3-1", "20260301"])
def test_a_malformed_ds_is_one_line(capsys: pytest.CaptureFixture[str], ds: str) -> None:
    assert f"--ds {ds!r} is not a date" in one_line_error(capsys, "sessionize", "--ds", ds)


def test_a_missing_ds_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--ds" in one_line_error(capsys, "daily_metrics")


def test_a_negative_lookback_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(capsys, "funnels", "--ds", "2026-03-01", "--lookback-days", "-1")
    assert "--lookback-days must not be negative" in line


@pytest.mark.parametrize(
    ("analytics", "message"),
    [
        (
            {"funnels": [{"name": "f", "steps": [{"goal": "nope"}, {"path": "/a"}]}]},
            "unknown goal 'nope'",
        ),
        ({"goals": [{"name": "g", "path": "/a", "event": "e"}]}, "exactly one of path or event"),
        (
            {"goals": [{"name": "g", "event": "e"}, {"name": "g", "path": "/b"}]},
            "goal 'g' is defined twice",
        ),
        ({"goals": [{"name": "g", "path": "checkout"}]}, "must start with /"),
    ],
)
def test_a_bad_registry_entry_is_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    analytics: dict[str, object],
    message: str,
) -> None:
    sites = [{"site_id": "shop", "analytics": analytics}]
    monkeypatch.setenv("BEACON_COLLECTOR__SITES", json.dumps(sites))
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings()
    assert message in one_line_error(capsys, "sessionize", "--ds", "2026-03-01")


def test_the_demo_sites_have_goals_funnels_and_properties() -> None:
    for site in DEMO_SITES:
        assert site.analytics.goals
        assert site.analytics.funnels
        assert site.analytics.event_properties


def test_path_patterns() -> None:
    product = re.compile(path_regex("/p/*"))
    assert product.match("/p/rain-shell")
    assert not product.match("/p/rain-shell/reviews")
    assert not product.match("/px/a")
    assert re.compile(path_regex("/docs/**")).match("/docs/a/b")
    assert re.compile(path_regex("/a.b")).match("/a.b")
    assert not re.compile(path_regex("/a.b")).match("/axb")
    with pytest.raises(ValueError, match="a value_property needs an event goal"):
        Goal(name="g", path="/a", value_property="revenue")


def test_the_window_is_the_logical_date_and_the_lookback_days() -> None:
    window = DayWindow(parse_ds("2026-03-10"), 3)
    assert [d.isoformat() for d in window.days] == [
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    assert (window.read_from.isoformat(), window.read_to.isoformat()) == (
        "2026-03-06",
        "2026-03-11",
    )


def test_a_job_file_runs_by_its_path_as_spark_submit_runs_it() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "spark_jobs" / "retention.py"), "--ds", "bad"],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "beacon: error: --ds 'bad' is not a date in YYYY-MM-DD form"
