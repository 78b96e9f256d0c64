"""Retention per site against real Delta tables (real Spark): a site kept 30 days loses its
rows of older days from raw.events and the batch tables at the maintenance run's retention
step, and the data files that held them are gone from disk; the other site (the default 425
days) keeps every day, and the site's recent days stay."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lakehouse.provision import create_delta_tables
from lakehouse.settings import DEMO_SITES, Settings, load_settings
from lakehouse.tables.batch import BATCH_DAILY_METRICS, BATCH_SESSIONS
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from spark_jobs.nightly import run_nightly
from spark_jobs.site_retention import drop_expired, retained_tables
from stack.state import open_state_dir
from tests.support.batch_rows import at, raw_event, raw_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

AS_OF = date(2026, 3, 20)
OLD, RECENT = AS_OF - timedelta(days=40), AS_OF - timedelta(days=10)
SHOP, DOCS = "demo-shop", "demo-docs"


def marker(site: str, day: date) -> str:
    """A path only that site's events of that day have: found in a file's bytes or not."""
    return f"/retention-{site}-{day.isoformat()}"


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    shop_30_days = [
        site.model_copy(update={"retention_days": 30}) if site.site_id == SHOP else site
        for site in DEMO_SITES
    ]
    settings = load_settings(
        state_dir=tmp_path_factory.mktemp("retention-state"),
        collector={"sites": [site.model_dump() for site in shop_30_days]},
    )
    open_state_dir(settings)
    create_delta_tables(spark, settings, (RAW_EVENTS, RAW_EVENTS_BAD), lambda _: None)
    rows = [
        raw_event(
            site_id=site,
            visitor_id=f"{site}-v",
            client_ts=at(f"{day.isoformat()} 10:00:00"),
            path=marker(site, day),
        )
        for site in (SHOP, DOCS)
        for day in (OLD, RECENT)
    ]
    raw_frame(spark, rows).write.format("delta").mode("append").save(
        settings.table_location(RAW_EVENTS.relative_path)
    )
    run_nightly(spark, settings, RECENT, lookback_days=(RECENT - OLD).days)
    return settings


def days_of(spark: SparkSession, settings: Settings, table_location: str) -> set[tuple[str, date]]:
    rows = spark.read.format("delta").load(table_location).select("site_id", "event_date")
    return {(row["site_id"], row["event_date"]) for row in rows.distinct().collect()}


def data_files_holding(root: Path, text: str) -> list[Path]:
    """Parquet files (not the Delta log) whose bytes hold ``text``."""
    return [
        path
        for path in root.rglob("*.parquet")
        if "_delta_log" not in path.parts and text.encode() in path.read_bytes()
    ]


def test_the_retention_covers_raw_and_the_day_partitioned_batch_tables() -> None:
    names = {table.qualified_name for table in retained_tables()}
    assert {"raw.events", "raw.events_bad", "batch.sessions", "batch.daily_metrics"} <= names
    assert not any(name.startswith(("live.", "ops.")) for name in names)
    assert "batch.users" not in names  # rewritten whole by the nightly run


def test_a_site_kept_30_days_loses_its_older_days_and_their_files(
    spark: SparkSession, lake: Settings
) -> None:
    root = lake.lakehouse_path
    every_day = {(site, day) for site in (SHOP, DOCS) for day in (OLD, RECENT)}
    for table in (RAW_EVENTS, BATCH_SESSIONS, BATCH_DAILY_METRICS):
        assert days_of(spark, lake, lake.table_location(table.relative_path)) == every_day
    assert data_files_holding(root, marker(SHOP, OLD))
    lines: list[str] = []

    done = drop_expired(spark, lake, AS_OF, lines.append)

    kept = every_day - {(SHOP, OLD)}
    for table in (RAW_EVENTS, BATCH_SESSIONS, BATCH_DAILY_METRICS):
        assert days_of(spark, lake, lake.table_location(table.relative_path)) == kept, table
    assert done["raw.events"] == (1, done["raw.events"][1])
    assert done["raw.events"][1] >= 1  # the file of the shop's old day
    assert done["raw.events_bad"] == (0, 0)
    assert data_files_holding(root, marker(SHOP, OLD)) == []
    for site, day in kept:
        assert data_files_holding(root, marker(site, day)), (site, day)
    assert "maintenance: retention raw.events: 1 rows, " in "\n".join(lines)

    again = drop_expired(spark, lake, AS_OF, lambda _: None)
    assert {rows for rows, _ in again.values()} == {0}
