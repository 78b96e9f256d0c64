"""`beacon simulate`: seeded realistic traffic through the collector, with its ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from lakehouse.settings import load_settings
from stack.cli.output import console, say
from stack.errors import BeaconError

app = typer.Typer()

DEFAULT_MINUTES = 90


@app.command()
def simulate(
    visitors: Annotated[int, typer.Option(metavar="N", help="Visitors to simulate.")] = 300,
    seed: Annotated[int, typer.Option(metavar="S", help="Same seed, same traffic.")] = 1,
    minutes: Annotated[
        int | None,
        typer.Option(
            metavar="M",
            help=f"Time span ending now, in minutes ({DEFAULT_MINUTES} unless --days is given).",
            show_default=False,
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            metavar="D",
            help="The last D days and today so far, as far back as the collector accepts "
            "(instead of --minutes).",
        ),
    ] = None,
    rate: Annotated[
        float | None, typer.Option(metavar="R", help="Send at most R events per second.")
    ] = None,
    collector: Annotated[
        str | None, typer.Option(metavar="URL", help="Default: the local collector.")
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH", help="Ground-truth JSON (default: var/simulate/truth-seed<S>.json)."
        ),
    ] = None,
) -> int:
    """Send seeded simulated traffic through the collector (every protocol); write its truth."""
    from stack.cli.progress import SendView
    from stack.collector_service import collector_url
    from traffic.send import CollectorUnreachable
    from traffic.simulate import SimulateOptions, SimulationError, days_span, report_lines, run
    from traffic.wire import UnknownSite

    if minutes is not None and days is not None:
        raise typer.BadParameter("give --minutes or --days, not both", param_hint="'--days'")
    settings = load_settings()
    now = datetime.now(UTC)
    try:
        span = (
            days_span(days, now, settings)
            if days is not None
            else timedelta(minutes=DEFAULT_MINUTES if minutes is None else minutes)
        )
    except SimulationError as error:
        raise BeaconError(str(error)) from None
    truth_path = truth or settings.state_path / "simulate" / f"truth-seed{seed}.json"
    options = SimulateOptions(
        visitors, seed, span, collector or collector_url(settings), truth_path, rate
    )
    try:
        with SendView(console) as view:
            result, report = run(options, settings, view.keep, now, progress=view.sent)
    except (CollectorUnreachable, SimulationError, UnknownSite) as error:
        raise BeaconError(str(error)) from None
    for line in report_lines(result, report, truth_path):
        say(line)
    return 1 if report.errors else 0
