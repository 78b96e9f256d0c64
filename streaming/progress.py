"""The job's heartbeat: a small JSON file rewritten every trigger interval with each query's
last progress, read by the service's health check and the benchmarks."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from lakehouse.files import write_json_atomically
from lakehouse.settings import Settings


def progress_path(settings: Settings) -> Path:
    return settings.state_path / "streaming" / "progress.json"


def write_progress(path: Path, progress: dict[str, Any]) -> None:
    """Replace the file atomically, so a reader never sees half of it."""
    write_json_atomically(path, progress, indent=1, default=str)


def read_progress(settings: Settings) -> dict[str, Any] | None:
    try:
        progress: dict[str, Any] = json.loads(progress_path(settings).read_text())
    except (OSError, ValueError):
        return None
    return progress


def is_fresh(progress: dict[str, Any] | None, settings: Settings, now: float | None = None) -> bool:
    """The job wrote its heartbeat recently and every query is running."""
    if progress is None:
        return False
    age = (time.time() if now is None else now) - float(progress.get("written_at", 0))
    limit = max(30.0, 5 * settings.streaming.trigger_interval_s)
    queries = progress.get("queries", {})
    return age <= limit and bool(queries) and all(q.get("active") for q in queries.values())
