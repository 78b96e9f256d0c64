"""The collector's accepted counts: per site and UTC day of receipt, appended at each flush
(the rows the reconciliation sums), kept for the next flush when an append fails, flushed
when the process stops; an HTTP request counts its accepted events only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.accepted_counts import AcceptedCounts, Row
from collector.app import CollectorApp
from collector.sink import MemorySink
from lakehouse.settings import load_settings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FLUSHED_AT = datetime(2026, 11, 26, 0, 0, 30, tzinfo=UTC)


class Appended:
    def __init__(self, failures: int = 0) -> None:
        self.rows: list[Row] = []
        self.failures = failures

    def __call__(self, rows: Sequence[Row]) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("storage down")
        self.rows.extend(rows)


def counts_with(append: Appended) -> AcceptedCounts:
    return AcceptedCounts(append, every_s=3600, name="host:1", clock=lambda: FLUSHED_AT)


def test_counts_are_appended_per_site_and_day_of_receipt() -> None:
    appended = Appended()
    counts = counts_with(appended)
    before_midnight = datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)
    counts.add("shop", before_midnight, 3)
    counts.add("shop", before_midnight + timedelta(seconds=2), 1)
    counts.add("docs", before_midnight, 2)
    counts.add("shop", before_midnight, 4)
    assert counts.flush() == 3
    assert appended.rows == [
        ("docs", date(2026, 11, 25), 2, "host:1", FLUSHED_AT),
        ("shop", date(2026, 11, 25), 7, "host:1", FLUSHED_AT),
        ("shop", date(2026, 11, 26), 1, "host:1", FLUSHED_AT),
    ]
    assert counts.flush() == 0  # nothing new: no row
    assert len(appended.rows) == 3


def test_a_failed_append_keeps_the_counts_for_the_next() -> None:
    appended = Appended(failures=1)
    counts = counts_with(appended)
    counts.add("shop", NOW, 5)
    assert counts.flush() == 0
    counts.add("shop", NOW, 1)
    assert counts.pending() == {("shop", NOW.date()): 6}
    counts.stop()  # the last flush, as the process stops
    assert appended.rows == [("shop", NOW.date(), 6, "host:1", FLUSHED_AT)]


def event(**changes: Any) -> dict[str, Any]:
    base = {
        "event_id": "0b6b0c5e-7a55-4f6b-9a0e-1f2e3d4c5b6a",
        "type": "page",
        "name": "pageview",
        "site_id": "demo-shop",
        "client_ts": (NOW - timedelta(seconds=3)).isoformat(),
        "url": "https://shop.example/",
    }
    return {**base, **changes}


def post_batch(app: CollectorApp, batch: list[dict[str, Any]]) -> dict[str, Any]:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            headers = {"origin": "https://shop.example", "content-type": "text/plain"}
            return await client.post("/x/b", content=json.dumps(batch), headers=headers)

    answer: dict[str, Any] = asyncio.run(call()).json()
    return answer


@pytest.mark.parametrize("extra_bad", [False, True])
def test_a_request_counts_its_accepted_events(tmp_path: Path, extra_bad: bool) -> None:
    appended = Appended()
    counts = counts_with(appended)
    app = CollectorApp(
        load_settings(state_dir=tmp_path),
        MemorySink(),
        b"s" * 32,
        clock=lambda: NOW,
        accepted=counts,
    )
    batch = [event(), event(event_id="e-2", type="track", name="buy")]
    if extra_bad:
        batch.append(event(event_id="old", client_ts=(NOW - timedelta(hours=73)).isoformat()))
    assert post_batch(app, batch)["accepted"] == 2
    assert counts.pending() == {("demo-shop", NOW.date()): 2}
