"""`beacon dq run`: the data-quality suites (expectations/) for a closed day, on demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from lakehouse.settings import load_settings
from stack.cli.batch import logical_dates
from stack.cli.output import say
from stack.errors import BeaconError

app = typer.Typer(name="dq", help="Data quality: the Great Expectations suites.")

FAILED_EXIT = 1


@app.command()
def run(
    suite: Annotated[
        str | None,
        typer.Option(
            "--suite",
            metavar="NAME",
            help="Run this suite only (default: all).",
            show_default=False,
        ),
    ] = None,
    ds: Annotated[
        str | None,
        typer.Option(
            "--ds",
            metavar="DATE",
            help="The day to check (YYYY-MM-DD; default: yesterday, UTC).",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Validate a day: a line per suite, results in ops.dq_results, data docs (HTML) under
    the state dir; exit 1 if a critical expectation failed."""
    from expectations.suites import UnknownSuite, chosen

    day = ds or (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    (checked,) = logical_dates(day, 1)
    settings = load_settings()
    try:
        suites = chosen(settings, suite)
    except UnknownSuite as error:
        raise BeaconError(str(error)) from None

    from expectations.run import MissingSource, SuiteRun, run_suites
    from lakehouse.spark import spark_session
    from stack.state import open_state_dir

    open_state_dir(settings)

    def progress(result: SuiteRun) -> None:
        say(f"  {result.summary()}")

    say(f"dq: {len(suites)} suites for {checked}")
    spark = spark_session(settings, "beacon-dq-run")
    try:
        result = run_suites(spark, settings, checked, suites, progress)
    except MissingSource as error:
        raise BeaconError(str(error)) from None
    finally:
        spark.stop()
    outcomes = result.outcomes
    failed = [o for o in outcomes if not o.success]
    say(
        f"dq {checked}: {len(outcomes) - len(failed)}/{len(outcomes)} expectations passed; "
        f"results in ops.dq_results (run {result.run_id}); data docs: {result.data_docs}"
    )
    if result.blocking:
        names = ", ".join(f"{o.suite}/{o.check}" for o in result.blocking)
        say(f"dq {checked}: critical expectations failed: {names}")
        return FAILED_EXIT
    return 0
