"""Airflow against real Delta tables through the real submit path: `airflow dags test
beacon_nightly <date>` spark-submits every job and succeeds, the data-quality gate's task fails
on a day of bad data and names the failed expectation in its log, and a run triggered through the
REST API of a running `beacon up airflow` (free ports, a temporary state dir) is picked up by
the scheduler and succeeds; meanwhile Airflow listens on its api-server's port only."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lakehouse.provision import create_delta_tables
from lakehouse.settings import Settings, settings_env
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.batch import BATCH_SESSIONS
from lakehouse.tables.ops import OPS_PIPELINE_RUNS
from lakehouse.tables.raw import RAW_EVENTS
from stack.airflow_env import airflow_env, airflow_program
from stack.airflow_runs import run_days
from stack.airflow_service import migrate
from stack.lifecycle import start_services, stop_all, supervisor_for
from stack.registry import select
from stack.state import isolated_settings
from stack.supervisor import inherited_env

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SITE = "demo-shop"
DAG_TEST_DAY = date(2026, 3, 10)
TRIGGERED_DAY = date(2026, 3, 11)
GATED_DAY = date(2026, 3, 12)
"""A day with an event of a site beacon does not know: its data-quality gate fails."""


def pageview(visitor: str, path: str, moment: str, site: str = SITE) -> tuple[object, ...]:
    """A raw.events row: a human pageview on ``site`` at ``moment`` (UTC)."""
    client_ts = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    row: dict[str, object] = dict.fromkeys(RAW_EVENTS.column_names)
    row.update(
        event_id=str(uuid.uuid4()),
        type="page",
        name="pageview",
        site_id=site,
        visitor_id=visitor,
        client_ts=client_ts,
        received_at=client_ts + timedelta(seconds=1),
        protocol="native",
        path=path,
        is_bot=False,
        device_type="desktop",
        browser="Firefox",
        os="Linux",
        country="DE",
        language="de-DE",
        referrer_class="direct",
        properties={},
        event_date=client_ts.date(),
    )
    return tuple(row[column] for column in RAW_EVENTS.column_names)


def visits(day: date) -> list[tuple[object, ...]]:
    """Two visitors' pageviews on ``day``: one session of three pages, one of one."""
    return [
        pageview("v1", path, f"{day} 10:0{i}:00")
        for i, path in enumerate(("/", "/pricing", "/signup"))
    ] + [pageview("v2", "/", f"{day} 11:00:00")]


@pytest.fixture(scope="module")
def platform(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A state dir with every table and two days of raw events, and Airflow's database."""
    settings = isolated_settings(tmp_path_factory.mktemp("airflow") / "state")
    create_delta_tables(spark, settings, ALL_TABLES, lambda _: None)
    unknown = pageview("v3", "/", f"{GATED_DAY} 09:00:00", site="nobody-knows")
    rows = [*visits(DAG_TEST_DAY), *visits(TRIGGERED_DAY), *visits(GATED_DAY), unknown]
    spark.createDataFrame(rows, RAW_EVENTS.spark_schema()).write.format("delta").mode(
        "append"
    ).save(settings.table_location(RAW_EVENTS.relative_path))
    migrate(settings, lambda _: None)
    return settings


def sessions_of(spark: SparkSession, settings: Settings, day: date) -> int:
    location = settings.table_location(BATCH_SESSIONS.relative_path)
    return spark.read.format("delta").load(location).where(f"event_date = '{day}'").count()


def published(spark: SparkSession, settings: Settings, day: date) -> list[str]:
    location = settings.table_location(OPS_PIPELINE_RUNS.relative_path)
    runs = spark.read.format("delta").load(location)
    found = runs.where(f"logical_date = '{day}' AND job = 'publish'").select("status").collect()
    return [row.status for row in found]


def test_dags_test_runs_the_nightly_chain_through_spark_submit(
    spark: SparkSession, platform: Settings
) -> None:
    env = {**inherited_env(), **settings_env(platform), **airflow_env(platform)}
    done = subprocess.run(
        [str(airflow_program(platform)), "dags", "test", "beacon_nightly", str(DAG_TEST_DAY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Spark-Submit cmd: spark-submit --master local[2]" in output
    for job in ("sessionize", "daily_metrics", "users", "funnels", "retention", "dq", "publish"):
        assert f"spark_jobs/{job}.py --ds {DAG_TEST_DAY}" in output, job
    assert sessions_of(spark, platform, DAG_TEST_DAY) == 2
    assert published(spark, platform, DAG_TEST_DAY) == ["success"]


def test_the_gate_task_fails_naming_the_failed_expectation(
    spark: SparkSession, platform: Settings
) -> None:
    env = {**inherited_env(), **settings_env(platform), **airflow_env(platform)}
    done = subprocess.run(
        [str(airflow_program(platform)), "tasks", "test", "beacon_nightly", "dq", str(GATED_DAY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert f"spark_jobs/dq.py --ds {GATED_DAY}" in output
    assert "dq: critical expectation failed: raw.events/site_id_known" in output, output[-3000:]
    assert "the day is not published" in output  # (`tasks test` exits 0 all the same)
    assert published(spark, platform, GATED_DAY) == []


@pytest.fixture(scope="module")
def running_airflow(platform: Settings) -> Iterator[Settings]:
    supervisor = supervisor_for(platform)
    try:
        start_services(select(["airflow"]), platform, supervisor, lambda _: None)
        yield platform
    finally:
        stop_all(platform, supervisor, report=lambda _: None)


def listening_ports(pgids: set[int]) -> set[str]:
    """``address:port`` of every TCP socket that processes of these groups listen on."""
    listing = subprocess.run(
        ["ss", "-ltnpH"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    found = set()
    for line in listing:
        pids = {int(pid) for pid in re.findall(r"pid=(\d+)", line)}
        if any(_pgid(pid) in pgids for pid in pids):
            found.add(line.split()[3])
    return found


def _pgid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None


@pytest.mark.timeout(1800)  # two runs of seven Spark tasks: this one and the latest interval's
def test_a_run_triggered_through_the_rest_api_is_scheduled_and_succeeds(
    spark: SparkSession, running_airflow: Settings
) -> None:
    settings = running_airflow
    lines: list[str] = []
    (result,) = run_days(settings, "beacon_nightly", [TRIGGERED_DAY], lines.append, 1800)
    assert result.state == "success", lines
    assert result.tasks == dict.fromkeys(
        ("sessionize", "daily_metrics", "users", "funnels", "retention", "dq", "publish"), "success"
    )
    assert f"beacon_nightly {TRIGGERED_DAY}: sessionize running" in lines
    assert sessions_of(spark, settings, TRIGGERED_DAY) == 2
    assert published(spark, settings, TRIGGERED_DAY) == ["success"]


def test_airflow_listens_on_the_api_server_port_only(running_airflow: Settings) -> None:
    supervisor = supervisor_for(running_airflow)
    groups = set()
    for service in select(["airflow"]):
        record = supervisor.running(service.name)
        assert record is not None, service.name
        groups.add(record.pgid)
    assert listening_ports(groups) == {f"127.0.0.1:{running_airflow.ports.airflow}"}
