"""The collector as a local service: `python -m collector` from the core environment."""

from __future__ import annotations

import json
import sys
from urllib.request import urlopen

from lakehouse.settings import Settings
from stack.service import Launch, Service


def prepare(settings: Settings) -> Launch:
    (settings.state_path / "collector").mkdir(parents=True, exist_ok=True)
    return Launch(argv=[sys.executable, "-m", "collector"])


def collector_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.ports.collector}"


def healthy(settings: Settings) -> bool:
    # An http URL from the settings' host and port.
    with urlopen(f"{collector_url(settings)}/health", timeout=3) as response:  # noqa: S310
        return bool(json.load(response).get("status") == "ok")


COLLECTOR = Service(
    name="collector",
    description="event collector (HTTP ingestion, tracker script)",
    ports=lambda s: {"collector": s.ports.collector},
    url=collector_url,
    prepare=prepare,
    healthy=healthy,
    depends_on=("kafka",),
)
