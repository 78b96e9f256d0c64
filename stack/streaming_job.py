"""The speed layer as a local service: `python -m streaming` from the core environment.

Healthy while the job rewrites its heartbeat (``<state>/streaming/progress.json``) every
trigger interval with every query running. Once healthy, the live tables and the serving
views are registered in Trino.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lakehouse.settings import Settings
from stack.service import Launch, Service
from streaming.progress import is_fresh, progress_path, read_progress

REPO = Path(__file__).resolve().parent.parent


def prepare(settings: Settings) -> Launch:
    path = progress_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a heartbeat of an earlier run says nothing about this one
    return Launch(argv=[sys.executable, "-m", "streaming"], cwd=REPO)


def healthy(settings: Settings) -> bool:
    return is_fresh(read_progress(settings), settings)


def register_tables(settings: Settings) -> None:
    from lakehouse.provision import create_views, register_in_trino
    from lakehouse.tables.live import LIVE_TABLES
    from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
    from lakehouse.tables.serving import SERVING_LIVE_VIEWS

    register_in_trino(settings, (RAW_EVENTS, RAW_EVENTS_BAD, *LIVE_TABLES), lambda _: None)
    create_views(settings, SERVING_LIVE_VIEWS, lambda _: None)


STREAMING = Service(
    name="streaming",
    description="Spark Structured Streaming: Kafka -> raw.events, live.* (Delta)",
    ports=lambda s: {},
    url=lambda s: str(progress_path(s)),
    prepare=prepare,
    healthy=healthy,
    after_start=register_tables,
    depends_on=("kafka", "trino"),
)
