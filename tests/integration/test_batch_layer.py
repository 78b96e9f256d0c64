"""The nightly batch jobs against real Delta tables: exact per site and day against the
simulator's ground truth (with repeated event ids, bots, sessions across midnight and events
days late in the input), a rerun that leaves identical rows, a late event that changes its
day at the next run, and a day without data."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lakehouse.settings import Settings
from lakehouse.tables.batch import BATCH_TABLES
from lakehouse.tables.raw import RAW_EVENTS
from spark_jobs.nightly import NIGHTLY, run_nightly
from tests.support.batch_rows import raw_event, raw_frame
from traffic.model import generate
from traffic.raw_rows import Arrival, raw_rows
from traffic.truth import ground_truth

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

NOW = datetime(2026, 3, 14, 7, 30, tzinfo=UTC)
SPAN = timedelta(days=3, hours=7)  # from 11 March 00:30: four UTC days, the last one open
DAYS = [date(2026, 3, 11) + timedelta(days=n) for n in range(4)]
ARRIVAL = Arrival(repeated_share=0.02, late_share=0.03, seed=3)
EXACT = (
    "visitors",
    "sessions",
    "pageviews",
    "engaged_sessions",
    "bounces",
    "single_page_sessions",
    "conversions",
    "bot_events",
)


def append_raw(spark: SparkSession, settings: Settings, rows: Iterable[dict[str, Any]]) -> None:
    location = settings.table_location(RAW_EVENTS.relative_path)
    raw_frame(spark, rows).write.format("delta").mode("append").save(location)


def table_rows(spark: SparkSession, settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every batch table's rows, sorted: the whole contents, to compare."""
    contents = {}
    for table in BATCH_TABLES:
        frame = spark.read.format("delta").load(settings.table_location(table.relative_path))
        contents[table.qualified_name] = sorted((tuple(row) for row in frame.collect()), key=repr)
    return contents


@pytest.fixture(scope="module")
def lake(spark: SparkSession, settings: Settings) -> dict[str, Any]:
    """Four days of traffic arriving as it would: each night's run sees the rows received
    before its day ended, the last run everything."""
    from lakehouse.provision import create_delta_tables

    create_delta_tables(spark, settings, (RAW_EVENTS,), lambda _: None)
    traffic = generate(700, 11, NOW, SPAN)
    rows = list(raw_rows(traffic, ARRIVAL))
    progress: list[str] = []
    for ds in DAYS:
        until = datetime.combine(ds + timedelta(days=1), datetime.min.time(), UTC)
        if ds == DAYS[-1]:
            until = datetime.max.replace(tzinfo=UTC)
        arriving = [r for r in rows if r.get("_sent") is None and r["received_at"] < until]
        for row in arriving:
            row["_sent"] = True
        append_raw(
            spark, settings, ({k: v for k, v in r.items() if k != "_sent"} for r in arriving)
        )
        run_nightly(spark, settings, ds, progress=lambda result: progress.append(result.job))
    return {"truth": ground_truth(traffic), "rows": rows, "progress": progress}


def test_the_input_has_repeats_bots_midnight_sessions_and_days_late_events(
    lake: dict[str, Any],
) -> None:
    rows = lake["rows"]
    assert len(rows) > len({(r["site_id"], r["event_id"]) for r in rows})
    assert any(r["received_at"] - r["client_ts"] >= timedelta(days=1) for r in rows)
    totals = [site["total"] for site in lake["truth"]["sites"].values()]
    assert sum(t["bot_events"] for t in totals) > 0
    assert sum(t["sessions_across_midnight"] for t in totals) > 0
    assert lake["progress"] == list(NIGHTLY) * len(DAYS)


def test_daily_metrics_are_exact_per_site_and_day(
    lake: dict[str, Any], spark: SparkSession, settings: Settings
) -> None:
    location = settings.table_location("batch/daily_metrics")
    totals = {
        (r["site_id"], r["event_date"].isoformat()): r.asDict()
        for r in spark.read.format("delta").load(location).where("dimension = 'all'").collect()
    }
    goals_location = settings.table_location("batch/daily_goals")
    goals = {
        (r["site_id"], r["event_date"].isoformat(), r["goal"]): r["conversions"]
        for r in spark.read.format("delta")
        .load(goals_location)
        .where("dimension = 'all'")
        .collect()
    }
    checked = 0
    for site_id, site in lake["truth"]["sites"].items():
        for day, truth in site["days"].items():
            batch = totals[(site_id, day)]
            assert {name: batch[name] for name in EXACT} == {name: truth[name] for name in EXACT}, (
                site_id,
                day,
            )
            assert batch["events"] == truth["human_events"]
            for rate in ("bounce_rate", "conversion_rate"):
                if truth[rate] is None:  # a day of bots only
                    assert batch[rate] is None
                else:
                    assert batch[rate] == pytest.approx(truth[rate]), (site_id, day, rate)
            for goal, conversions in truth["goals"].items():
                assert goals[(site_id, day, goal)] == conversions, (site_id, day, goal)
            checked += 1
    assert checked >= 2 * len(DAYS)


def test_the_run_creates_every_batch_table_with_its_defined_columns(
    lake: dict[str, Any], spark: SparkSession, settings: Settings
) -> None:
    for table in BATCH_TABLES:
        location = settings.table_location(table.relative_path)
        created = spark.read.format("delta").load(location).schema
        assert [(f.name, f.dataType) for f in created] == [
            (f.name, f.dataType) for f in table.spark_schema()
        ], table.qualified_name


def test_a_rerun_leaves_identical_rows(
    lake: dict[str, Any], spark: SparkSession, settings: Settings
) -> None:
    before = table_rows(spark, settings)
    run_nightly(spark, settings, DAYS[-1])
    assert table_rows(spark, settings) == before
    assert all(before[t.qualified_name] for t in BATCH_TABLES)


def test_an_event_two_days_late_changes_its_day_at_the_next_run(
    lake: dict[str, Any], spark: SparkSession, settings: Settings
) -> None:
    day, ds = date(2026, 3, 20), date(2026, 3, 22)
    location = settings.table_location("batch/daily_metrics")

    def pageviews() -> int:
        row = (
            spark.read.format("delta")
            .load(location)
            .where(f"site_id = 'late-site' AND dimension = 'all' AND event_date = DATE'{day}'")
            .first()
        )
        return 0 if row is None else int(row["pageviews"])

    on_time = datetime(2026, 3, 20, 12, tzinfo=UTC)
    append_raw(spark, settings, [raw_event(site_id="late-site", client_ts=on_time)])
    run_nightly(spark, settings, ds)
    assert pageviews() == 1
    late = raw_event(
        site_id="late-site",
        visitor_id="v-late",
        client_ts=on_time + timedelta(hours=3),
        received_at=on_time + timedelta(days=2, hours=6),
    )
    append_raw(spark, settings, [late])
    assert pageviews() == 1  # until the next nightly run
    run_nightly(spark, settings, ds + timedelta(days=1))
    assert pageviews() == 2


def test_a_day_without_data_writes_empty_partitions_and_succeeds(
    lake: dict[str, Any], spark: SparkSession, settings: Settings
) -> None:
    results = run_nightly(spark, settings, date(2026, 6, 1), lookback_days=0)
    written = {r.job: r.rows_written for r in results}
    assert written["sessionize"] == 0
    assert written["daily_metrics"] == 0
    runs = spark.read.format("delta").load(settings.table_location("ops/pipeline_runs"))
    published = runs.where("job = 'publish' AND logical_date = DATE'2026-06-01'").collect()
    assert [r["status"] for r in published] == ["success"]


def test_a_missing_raw_table_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "BEACON_STATE_DIR": str(tmp_path / "empty")}
    result = subprocess.run(
        [sys.executable, "-m", "spark_jobs.sessionize", "--ds", "2026-03-01"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("beacon: error:")]
    assert len(errors) == 1, result.stderr
    assert "raw.events does not exist" in errors[0]
    assert "beacon tables init" in errors[0]
    assert "Traceback" not in result.stderr
