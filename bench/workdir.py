"""A benchmark run's private state directory (Kafka log, Delta tables, service logs)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

KEEP_HELP = "keep the run's state directory (logs, tables) instead of deleting it at the end"


def run_dir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"beacon-{name}-"))


def discard(state: Path, keep: bool) -> None:
    """Delete the run's state (a whole Kafka log and Delta tables), or say where it stays."""
    if keep:
        print(f"state kept in {state}")
    else:
        shutil.rmtree(state, ignore_errors=True)
