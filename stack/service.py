"""What a local service is, declaratively: adding one is a new :class:`Service` in
:mod:`stack.registry`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

from lakehouse.settings import Settings


@dataclass(frozen=True)
class Launch:
    """How to start a service process."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    ports: Callable[[Settings], dict[str, int]]
    url: Callable[[Settings], str]
    prepare: Callable[[Settings], Launch]
    """Write configuration, initialise storage; return how to launch. Idempotent."""
    healthy: Callable[[Settings], bool]
    """One quick probe: True when the service answers as it should."""
    after_start: Callable[[Settings], None] | None = None
    """Idempotent set-up once healthy (topics, schemas)."""
    set_up: Callable[[Settings, Callable[[str], None]], None] | None = None
    """Idempotent set-up before each start that may take a while (a database migration),
    reporting its progress in lines."""
    depends_on: tuple[str, ...] = ()


def reports_ok(url: str) -> bool:
    """One probe of an HTTP service's health endpoint: its JSON says ``status: ok``."""
    # An http URL from the settings' host and port.
    with urlopen(url, timeout=3) as response:  # noqa: S310
        return bool(json.load(response).get("status") == "ok")
