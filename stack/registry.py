"""Every service `beacon up` knows, in start order."""

from __future__ import annotations

from stack.airflow_service import AIRFLOW_SERVICES
from stack.api_service import API
from stack.collector_service import COLLECTOR
from stack.errors import BeaconError
from stack.kafka_broker import KAFKA
from stack.service import Service
from stack.streaming_job import STREAMING
from stack.superset_service import SUPERSET
from stack.trino_server import TRINO

SERVICES: tuple[Service, ...] = (
    KAFKA,
    TRINO,
    COLLECTOR,
    STREAMING,
    *AIRFLOW_SERVICES,
    API,
    SUPERSET,
)
BY_NAME = {service.name: service for service in SERVICES}
GROUPS: dict[str, tuple[str, ...]] = {"airflow": tuple(s.name for s in AIRFLOW_SERVICES)}
"""Names that stand for several services (`beacon up airflow`)."""


def _known(names: list[str] | tuple[str, ...]) -> None:
    unknown = [name for name in names if name not in BY_NAME and name not in GROUPS]
    if unknown:
        choices = ", ".join([*BY_NAME, *GROUPS])
        raise BeaconError(f"unknown service {', '.join(unknown)}; choose from {choices}")


def named(name: str) -> Service:
    """The service of that name; BeaconError naming the known ones otherwise."""
    _known([name])
    if name in GROUPS:
        raise BeaconError(f"{name} is several services; name one of {', '.join(GROUPS[name])}")
    return BY_NAME[name]


def select(names: list[str] | tuple[str, ...]) -> list[Service]:
    """The named services (or groups) plus what they depend on, in start order (all if none
    named)."""
    _known(names)
    wanted = {member for name in names for member in GROUPS.get(name, (name,))} or set(BY_NAME)
    pending = list(wanted)
    while pending:
        for dependency in BY_NAME[pending.pop()].depends_on:
            if dependency not in wanted:
                wanted.add(dependency)
                pending.append(dependency)
    return [service for service in SERVICES if service.name in wanted]
