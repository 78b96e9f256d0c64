"""Shared fixtures: every test tier gets its marker from its folder; the tiers that need real
services share one Kafka broker, Trino server and collector, started on free ports in a
temporary state dir and stopped at the end of the run; and every tier shares one Spark
session (a pytest process has one JVM anyway), started as the run begins if a test needs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lakehouse.settings import Settings
from stack.kafka_broker import KAFKA
from stack.lifecycle import start_service, supervisor_for
from stack.state import isolated_settings
from stack.supervisor import Supervisor
from stack.trino_server import TRINO
from tests.support.spark_start import SparkStart

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for tier in TIERS:
            if f"{Path('tests') / tier}" in str(item.path):
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = isolated_settings(tmp_path_factory.mktemp("beacon-state"))
    return settings


@pytest.fixture(scope="session")
def supervisor(settings: Settings) -> Iterator[Supervisor]:
    supervisor = supervisor_for(settings)
    yield supervisor
    for name in ("trino", "kafka"):
        supervisor.stop(name)


@pytest.fixture(scope="session")
def kafka(settings: Settings, supervisor: Supervisor) -> Settings:
    start_service(KAFKA, settings, supervisor)
    return settings


@pytest.fixture(scope="session")
def trino(settings: Settings, supervisor: Supervisor) -> Settings:
    start_service(TRINO, settings, supervisor)
    return settings


TEST_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
"""Tests use DataFrames of a few rows: one partition, no adaptive re-planning, and plans
interpreted, as the streaming job runs a small batch (streaming.spark_config.execution_mode):
generating and compiling code costs far more than running it on a few rows."""
TEST_JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1",)
"""The JVM of a test run lives a minute or two: the quick first tier of its JIT compiler
only (about a fifth off the unit tier's Spark tests)."""


@pytest.fixture(scope="session", autouse=True)
def spark_start(request: pytest.FixtureRequest) -> Iterator[SparkStart | None]:
    """The test run's Spark, started as the run begins if one of its tests asks for it."""
    items = request.session.items
    if not any(isinstance(i, pytest.Function) and "spark" in i.fixturenames for i in items):
        yield None
        return
    start = SparkStart(
        request.getfixturevalue("settings"), "beacon-tests", TEST_SPARK_CONF, TEST_JAVA_OPTIONS
    )
    yield start
    start.stop()


@pytest.fixture(scope="session")
def spark(spark_start: SparkStart | None) -> SparkSession:
    """beacon's own SparkSession (lakehouse.spark: Delta, the Kafka connector, UTC), on
    settings of the test run."""
    assert spark_start is not None, "a test asks for spark by name only at run time"
    return spark_start.session()


@pytest.fixture(scope="session")
def collector(kafka: Settings, supervisor: Supervisor) -> Iterator[Settings]:
    from stack.collector_service import COLLECTOR

    start_service(COLLECTOR, kafka, supervisor)
    yield kafka
    supervisor.stop("collector")
