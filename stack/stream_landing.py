"""Waiting until the streaming job has landed what Kafka holds: the batch layer of a day
just simulated reads raw.events, so `make demo` waits for this before the nightly runs.

The job's heartbeat (:mod:`streaming.progress`) has each query's last finished micro-batch:
when it began and how far behind Kafka's latest offsets it was. A batch that began after we
started waiting and left nothing behind has read, and committed, every event sent before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from lakehouse.settings import Settings
from stack.errors import BeaconError
from streaming.progress import is_fresh, read_progress

POLL_S = 1.0


def caught_up(query: dict[str, Any], since: float) -> bool:
    """The query's last batch began after ``since`` (epoch s) and read up to the latest
    offsets (or, where the source reports no lag, read nothing)."""
    began = query.get("batch_timestamp")
    if not began or datetime.fromisoformat(str(began)).timestamp() <= since:
        return False
    behind = query.get("offsets_behind_latest")
    if behind is None:
        return query.get("input_rows") == 0
    return int(behind) == 0


def wait_until_landed(settings: Settings, timeout_s: float, report: Callable[[str], None]) -> None:
    since = time.time()
    deadline = time.monotonic() + timeout_s
    report("waiting until the stream has landed every event in raw.events")
    while True:
        progress = read_progress(settings)
        if progress is None or not is_fresh(progress, settings):
            raise BeaconError("the streaming job is not running; start it with `beacon up`")
        queries = progress["queries"]
        if all(caught_up(query, since) for query in queries.values()):
            report(f"stream caught up in {time.time() - since:.0f}s")
            return
        if time.monotonic() > deadline:
            raise BeaconError(f"the stream has not caught up with Kafka after {timeout_s:.0f}s")
        time.sleep(POLL_S)
