"""Shared fixtures: every test tier gets its marker from its folder."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for tier in TIERS:
            if f"{Path('tests') / tier}" in str(item.path):
                item.add_marker(getattr(pytest.mark, tier))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
