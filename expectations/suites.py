"""Every suite, in the order a run validates them (the sources before what is made of them)."""

from __future__ import annotations

from expectations import batch_tables, raw_events, reconciliation
from expectations.checks import Suite
from lakehouse.settings import Settings


class UnknownSuite(ValueError):
    """A suite name that is none of :func:`all_suites`."""


def all_suites(settings: Settings) -> tuple[Suite, ...]:
    return (
        raw_events.suite(settings),
        batch_tables.sessions_suite(),
        batch_tables.daily_metrics_suite(),
        reconciliation.live_batch_suite(settings),
        reconciliation.collector_raw_suite(settings),
    )


def suite_names(settings: Settings) -> tuple[str, ...]:
    return tuple(suite.name for suite in all_suites(settings))


def chosen(settings: Settings, name: str | None) -> tuple[Suite, ...]:
    """Every suite, or the one named ``name``."""
    suites = all_suites(settings)
    if name is None:
        return suites
    for suite in suites:
        if suite.name == name:
            return (suite,)
    raise UnknownSuite(f"unknown suite {name!r}; the suites are {', '.join(suite_names(settings))}")
