"""The days a run recomputes: its logical date and the lookback days before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


class BadLogicalDate(ValueError):
    """A --ds that is not a date in YYYY-MM-DD form."""


def parse_ds(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadLogicalDate(f"--ds {text!r} is not a date in YYYY-MM-DD form") from None


@dataclass(frozen=True)
class DayWindow:
    """The logical date ``ds`` and the ``lookback_days`` before it: the days a run replaces.

    A session is placed on the day it starts, so a run reads one more day on each side: the
    day before, whose late sessions may run into the first day, and the day after, into which
    the last day's late sessions run."""

    ds: date
    lookback_days: int

    def __post_init__(self) -> None:
        if self.lookback_days < 0:
            raise ValueError("lookback_days must not be negative")

    @property
    def first_day(self) -> date:
        return self.ds - timedelta(days=self.lookback_days)

    @property
    def last_day(self) -> date:
        return self.ds

    @property
    def read_from(self) -> date:
        return self.first_day - timedelta(days=1)

    @property
    def read_to(self) -> date:
        return self.last_day + timedelta(days=1)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.lookback_days + 1)]
