"""Shared fixtures: every test tier gets its marker from its folder, and the tiers that need
real services share one Kafka broker, Trino server, collector and Spark session, started on
free ports in a temporary state dir and stopped at the end of the run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lakehouse.settings import Settings
from stack.kafka_broker import KAFKA
from stack.lifecycle import start_service, supervisor_for
from stack.state import isolated_settings
from stack.supervisor import Supervisor, free_port
from stack.trino_server import TRINO

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["free_port"]

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


@pytest.fixture(scope="session")
def spark(settings: Settings) -> Iterator[SparkSession]:
    from lakehouse.spark import spark_session

    session = spark_session(settings, "beacon-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def collector(kafka: Settings, supervisor: Supervisor) -> Iterator[Settings]:
    from stack.collector_service import COLLECTOR

    start_service(COLLECTOR, kafka, supervisor)
    yield kafka
    supervisor.stop("collector")
