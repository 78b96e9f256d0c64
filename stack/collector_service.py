"""The collector as a local service: `python -m collector` from the core environment."""

from __future__ import annotations

import sys

from lakehouse.settings import Settings
from stack.service import Launch, Service, reports_ok


def prepare(settings: Settings) -> Launch:
    (settings.state_path / "collector").mkdir(parents=True, exist_ok=True)
    return Launch(argv=[sys.executable, "-m", "collector"])


def collector_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.ports.collector}"


def healthy(settings: Settings) -> bool:
    return reports_ok(f"{collector_url(settings)}/health")


COLLECTOR = Service(
    name="collector",
    description="event collector (HTTP ingestion, tracker script)",
    ports=lambda s: {"collector": s.ports.collector},
    url=collector_url,
    prepare=prepare,
    healthy=healthy,
    depends_on=("kafka",),
)
