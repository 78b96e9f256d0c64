"""Waiting on a condition with a deadline, never on the clock alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Watched(Protocol):
    """A child process a wait gives up on when it exits; its log says why."""

    def alive(self) -> bool: ...

    def last_lines(self) -> str: ...


def wait_for(
    condition: Callable[[], bool],
    timeout_s: float,
    watched: Watched | None = None,
    poll_s: float = 0.5,
) -> None:
    """Return once ``condition()`` holds; AssertionError when ``timeout_s`` pass first or
    ``watched`` exits meanwhile (with its last log lines)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if watched is not None and not watched.alive():
            raise AssertionError(f"{type(watched).__name__} exited:\n{watched.last_lines()}")
        if time.monotonic() >= deadline:
            log = f"; its log:\n{watched.last_lines()}" if watched is not None else ""
            raise AssertionError(f"the condition did not hold within {timeout_s:g} s{log}")
        time.sleep(poll_s)
