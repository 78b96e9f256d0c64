"""The collector in-process with a memory sink, and requests to it over httpx's ASGI
transport: what a protocol's client is answered, and what reaches the sink."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from collector.app import CollectorApp
from collector.metrics import Metrics
from collector.sink import MemorySink
from lakehouse.settings import load_settings

CLIENT_ADDRESS = ("198.51.100.20", 40000)


@dataclass
class Collector:
    """An app with its sink and metrics; ``settings`` are ``collector.*`` overrides."""

    state_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        now = datetime.now(UTC)
        self.sink = MemorySink()
        self.metrics = Metrics()
        self.app = CollectorApp(
            load_settings(state_dir=self.state_dir, collector=self.settings),
            self.sink,
            b"s" * 32,
            self.metrics,
            clock=lambda: now,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=CLIENT_ADDRESS)
            async with httpx.AsyncClient(transport=transport, base_url="http://c") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(call())

    def bad_rows(self) -> list[dict[str, Any]]:
        """The bad rows routed to events.bad, in order."""
        return [json.loads(r.value) for r in self.sink.records if r.topic == "events.bad"]
