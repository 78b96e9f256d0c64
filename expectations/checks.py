"""A data-quality check as data: a named Great Expectations expectation with a severity, and
a suite of them over one frame. Nothing here reads a table or runs anything."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    """A failure stops publishing the day."""
    WARNING = "warning"
    """A failure is recorded only."""


@dataclass(frozen=True)
class Check:
    """One expectation: ``kind`` is the Great Expectations class (``ExpectColumnValuesToBe
    Unique``), ``arguments`` its keyword arguments (column, bounds, mostly, ...)."""

    name: str
    severity: Severity
    kind: str
    arguments: Mapping[str, Any]
    description: str


def critical(name: str, kind: str, description: str, **arguments: Any) -> Check:
    return Check(name, Severity.CRITICAL, kind, arguments, description)


def warning(name: str, kind: str, description: str, **arguments: Any) -> Check:
    return Check(name, Severity.WARNING, kind, arguments, description)


Frames = Mapping[str, "DataFrame"]
"""The tables a suite reads, whole, by qualified name."""
FrameBuilder = Callable[[Frames, date], "DataFrame"]
"""A frame of a day from a suite's tables: a pure DataFrame function."""


@dataclass(frozen=True)
class Suite:
    """The checks of one frame, built from ``tables`` for a day by ``frame``."""

    name: str
    description: str
    tables: tuple[str, ...]
    frame: FrameBuilder
    checks: tuple[Check, ...]
    presence: FrameBuilder | None = None
    """A source's rows of the day: none, and the suite is skipped (for ``skipped_because``)."""
    skipped_because: str = ""

    def __post_init__(self) -> None:
        names = [check.name for check in self.checks]
        if len(set(names)) != len(names):
            raise ValueError(f"suite {self.name} repeats a check name")

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)
