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


@pytest.hookimpl(wrapper=True)  # around xdist's own: it reads the groups this sets
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None]:
    for item in items:
        for tier in TIERS:
            if f"{Path('tests') / tier}" in str(item.path):
                item.add_marker(getattr(pytest.mark, tier))
    order_the_unit_tiers_spark_tests(items)
    return (yield)


def needs_spark(item: pytest.Item) -> bool:
    return "spark" in getattr(item, "fixturenames", ())


def on_an_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def order_the_unit_tiers_spark_tests(items: list[pytest.Item]) -> None:
    """In one process, the unit tier's tests that need Spark run after the others: the JVM
    boots (see spark_start) while the tests without Spark run. Under pytest-xdist (`make
    unit`), they form one group that one worker takes first, while the other worker runs the
    rest: a second JVM would double the start and the memory for nothing."""
    slots = [n for n, item in enumerate(items) if item.get_closest_marker("unit")]
    unit = [items[n] for n in slots]
    if not unit:
        return
    distributed = on_an_xdist_worker(unit[0].config)
    unit.sort(key=lambda item: needs_spark(item) != distributed)
    for n, item in zip(slots, unit, strict=True):
        if distributed and needs_spark(item):
            item.add_marker(pytest.mark.xdist_group("spark"))
        items[n] = item


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


def start_spark(settings: Settings) -> SparkStart:
    return SparkStart(settings, "beacon-tests", TEST_SPARK_CONF, TEST_JAVA_OPTIONS)


@pytest.fixture(scope="session", autouse=True)
def spark_start(request: pytest.FixtureRequest) -> Iterator[SparkStart | None]:
    """The test run's Spark, started as the run begins if one of its tests asks for it (in
    one process; an xdist worker starts it when its first Spark test asks)."""
    items = request.session.items
    if on_an_xdist_worker(request.config) or not any(needs_spark(i) for i in items):
        yield None
        return
    start = start_spark(request.getfixturevalue("settings"))
    yield start
    start.stop()


@pytest.fixture(scope="session")
def spark_on_demand(settings: Settings) -> Iterator[SparkStart]:
    start = start_spark(settings)
    yield start
    start.stop()


@pytest.fixture(scope="session")
def spark(spark_start: SparkStart | None, request: pytest.FixtureRequest) -> SparkSession:
    """beacon's own SparkSession (lakehouse.spark: Delta, the Kafka connector, UTC), on
    settings of the test run."""
    start = spark_start or request.getfixturevalue("spark_on_demand")
    return start.session()


@pytest.fixture(scope="session")
def collector(kafka: Settings, supervisor: Supervisor) -> Iterator[Settings]:
    from stack.collector_service import COLLECTOR

    start_service(COLLECTOR, kafka, supervisor)
    yield kafka
    supervisor.stop("collector")
