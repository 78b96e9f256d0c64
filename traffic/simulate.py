"""``beacon simulate``: generate traffic for a seed, send it, write its truth, summarise."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lakehouse.settings import Settings
from traffic.model import MIN_SPAN, generate
from traffic.send import ProgressLines, SendProgress, SendReport, send
from traffic.truth import ground_truth
from traffic.wire import plan

SUMMARY_COLUMNS = (
    "visitors",
    "sessions",
    "pageviews",
    "engaged_sessions",
    "bounces",
    "conversions",
    "bot_events",
)
AGE_MARGIN = timedelta(hours=1)  # the send itself and late events must stay inside max age


class SimulationError(Exception):
    """Options the simulator cannot run with, or traffic the collector refused."""


@dataclass(frozen=True)
class SimulateOptions:
    visitors: int
    seed: int
    span: timedelta
    collector_url: str
    truth_path: Path
    rate: float | None = None
    concurrency: int = 8


def check_span(span: timedelta, settings: Settings) -> None:
    max_age = timedelta(hours=settings.collector.max_event_age_hours)
    if span < MIN_SPAN:
        raise SimulationError(f"the time span must be at least {MIN_SPAN} (--minutes 45)")
    if span > max_age - AGE_MARGIN:
        raise SimulationError(
            f"a span of {span} would send events older than the collector accepts "
            f"({max_age}, collector.max_event_age_hours); choose at most {max_age - AGE_MARGIN}"
        )


def days_span(days: int, now: datetime, settings: Settings) -> timedelta:
    """The span of ``--days D``: the last D UTC days and today so far, as far back as the
    collector accepts events (collector.max_event_age_hours, less a margin for the send):
    with the default 72 h, the first of three days is cut a little after now's time of day."""
    if days < 1:
        raise SimulationError("--days must be at least 1")
    since_midnight = now - now.replace(hour=0, minute=0, second=0, microsecond=0)
    max_age = timedelta(hours=settings.collector.max_event_age_hours)
    return max(min(timedelta(days=days) + since_midnight, max_age - AGE_MARGIN), MIN_SPAN)


def summary_table(truth: dict[str, Any]) -> list[str]:
    width = max(len(site) for site in truth["sites"])
    lines = [f"{'SITE':<{width}}  " + "  ".join(f"{c.upper():>11}" for c in SUMMARY_COLUMNS)]
    for site, numbers in truth["sites"].items():
        total = numbers["total"]
        lines.append(f"{site:<{width}}  " + "  ".join(f"{total[c]:>11}" for c in SUMMARY_COLUMNS))
    return lines


def run(
    options: SimulateOptions,
    settings: Settings,
    say: Callable[[str], None] = print,
    now: datetime | None = None,
    *,
    progress: SendProgress | None = None,
) -> tuple[dict[str, Any], SendReport]:
    """Generate, send, write the truth; raises CollectorUnreachable, before anything is
    sent or written, if the collector does not answer. ``progress`` follows the send
    (default: its progress lines, to ``say``)."""
    check_span(options.span, settings)
    if options.visitors < 1:
        raise SimulationError("--visitors must be at least 1")
    now = now or datetime.now(UTC)
    traffic = generate(options.visitors, options.seed, now, options.span)
    deliveries = plan(traffic, settings.collector.sites)
    truth = ground_truth(traffic, settings.collector.sites)
    rate = f", at most {options.rate:g} events/s" if options.rate else ""
    say(
        f"simulating {options.visitors} visitors (seed {options.seed}) over the {options.span} "
        f"before {traffic.now:%Y-%m-%d %H:%M:%S} UTC: {len(traffic.events)} events in "
        f"{len(deliveries)} requests to {options.collector_url}{rate}"
    )
    report = send(
        deliveries,
        options.collector_url,
        concurrency=options.concurrency,
        rate=options.rate,
        progress=ProgressLines(say) if progress is None else progress,
    )
    options.truth_path.parent.mkdir(parents=True, exist_ok=True)
    options.truth_path.write_text(json.dumps(truth, indent=2) + "\n")
    return truth, report


def report_lines(truth: dict[str, Any], report: SendReport, truth_path: Path) -> list[str]:
    statuses = ", ".join(
        f"{status or 'no answer'}: {n}" for status, n in sorted(report.statuses.items())
    )
    lines = [
        f"sent {report.events} events in {report.requests} requests in {report.seconds:.1f}s "
        f"({report.events_per_s:.0f} events/s; statuses {statuses}; {report.retries} retries)",
        *summary_table(truth),
        "(visitors to conversions: people only; bounces are sessions not engaged (GA4), "
        "conversions sessions that reached a goal; bot events are the ones flagged is_bot)",
        f"ground truth: {truth_path}",
    ]
    if report.failures:
        lines.append(
            f"{report.errors} requests failed; the simulator must send only valid traffic:"
        )
        lines.extend(f"  {failure}" for failure in report.failures)
    return lines
